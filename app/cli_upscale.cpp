#include <cctype>
#include <iostream>
#include <memory>
#include <optional>

#include "app/cli_commands.h"
#include "app/cli_library.h"
#include "core/error.h"
#include "core/gallery/upscaled_image.h"
#include "core/io/png.h"
#include "core/upscale/upscaler.h"

namespace atelier::cli {
namespace {

const char* const kUsage =
    "atelier-cli upscale IMAGE --upscaler NAME|FILE --scale X --output FILE.png [--tile N --tile-overlap N] "
    "[--library DIR]";

bool is_png(const std::filesystem::path& path) {
  auto extension = path.extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".png";
}

}  // namespace

// Upscales an image as A1111's extras tab does (upscaler.h) and writes it with the source's
// metadata plus A1111's "Postprocess upscale by" and "Postprocess upscaler".
int run_upscale(CommandLine& args) {
  const auto name = args.value("upscaler");
  const auto output = args.value("output");
  const double scale = args.double_value_or("scale", 4.0);  // A1111's extras default
  TileOptions tiles;
  tiles.tile = args.int_value_or("tile", tiles.tile);
  tiles.overlap = args.int_value_or("tile-overlap", tiles.overlap);
  const auto roots = library_roots(args);
  args.reject_unknown();
  const auto files = args.positionals();
  if (files.size() != 1 || !name || !output) throw InvalidArgument(std::string("usage: ") + kUsage);
  const std::filesystem::path source = files[0];
  if (!is_png(*output)) throw InvalidArgument("--output " + *output + ": the upscaled image is written as a .png");

  std::unique_ptr<ModelLibrary> library;  // scanned only when the upscaler is named, not a file
  const ModelResolver find = [&](ModelKind kind, std::string_view query) -> std::optional<std::filesystem::path> {
    if (!library) {
      library = std::make_unique<ModelLibrary>(roots);
      library->scan();
    }
    const auto entry = library->resolve(kind, query);
    return entry ? std::optional(entry->path) : std::nullopt;
  };
  const Upscaler upscaler = open_upscaler(*name, find, tiles);
  const Image8 image = load_image(source);
  const auto texts = png_texts_if_any(source);
  const Image8 result = upscaler.upscale(image, scale);
  write_png(*output, result, upscaled_image_texts(texts, scale, upscaler.name()));
  std::cout << "wrote " << *output << ": " << result.width << "x" << result.height << " from " << image.width << "x"
            << image.height << " with " << upscaler.name() << " (" << upscaler.description() << ")\n";
  return 0;
}

}  // namespace atelier::cli
