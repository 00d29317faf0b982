#include <iostream>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/gallery/image_metadata.h"

namespace atelier::cli {

int run_info(CommandLine& args) {
  const bool as_json = args.flag("json");
  args.reject_unknown();
  const auto files = args.positionals();
  if (files.size() != 1) throw InvalidArgument("give one image: atelier-cli info IMAGE.png [--json]");

  const ImageMetadata metadata = read_image_metadata(files[0]);
  const nlohmann::json info = to_json(metadata);
  if (as_json) {
    std::cout << info.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  // One "key: value" line each, which tool first; text as written, other values as JSON.
  std::cout << "source: " << metadata.source << "\n";
  for (const auto& [key, value] : info.items()) {
    if (key == "source" || key == "extra" || key == "unmapped" || value.is_object()) continue;
    std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
  if (metadata.run) std::cout << "run: " << metadata.run->device << " " << metadata.run->dtype << ", "
                              << metadata.run->elapsed_seconds << " s\n";
  for (const auto& [key, value] : metadata.extra) std::cout << "extra " << key << ": " << value << "\n";
  for (const auto& note : metadata.unmapped) std::cout << "not mapped: " << note << "\n";
  return 0;
}

}  // namespace atelier::cli
