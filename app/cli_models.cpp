#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_commands.h"
#include "app/cli_library.h"
#include "core/error.h"

namespace atelier::cli {
namespace {

// The entry's hashes: remembered ones, else computed unless `compute` is false (first listing of
// a large library takes minutes: it says so on stderr).
std::optional<ModelHashes> entry_hashes(ModelLibrary& library, const LibraryEntry& entry, bool compute) {
  if (entry.hashes || entry.diffusers_folder || !compute) return entry.hashes;
  std::cerr << "atelier-cli models: hashing " << entry.path.string() << "\n";
  try {
    return library.hashes(entry);
  } catch (const Error& e) {
    std::cerr << "atelier-cli models: " << e.what() << "\n";
    return std::nullopt;
  }
}

nlohmann::json text_or_null(const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); }

std::string family_text(ModelFamily family) {
  return family == ModelFamily::Unknown ? std::string() : std::string(family_name(family));
}

void print_json(ModelLibrary& library, const std::vector<LibraryEntry>& entries, bool compute) {
  auto list = nlohmann::json::array();
  for (const auto& entry : entries) {
    const auto hashes = entry_hashes(library, entry, compute);
    list.push_back({{"kind", kind_name(entry.kind)},
                    {"name", entry.name},
                    {"path", entry.path.string()},
                    {"family", text_or_null(family_text(entry.family))},
                    {"sha256", text_or_null(hashes ? hashes->sha256 : "")},
                    {"autov2", text_or_null(hashes ? hashes->autov2() : "")}});
  }
  std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Root by root, one aligned line an entry: kind, family, name, AutoV2, path.
void print_table(ModelLibrary& library, const std::vector<LibraryEntry>& entries, bool compute) {
  std::size_t kind_width = 0, family_width = 0, name_width = 0;
  for (const auto& entry : entries) {
    kind_width = std::max(kind_width, kind_name(entry.kind).size());
    family_width = std::max(family_width, std::max<std::size_t>(family_text(entry.family).size(), 1));
    name_width = std::max(name_width, entry.name.size());
  }
  const auto pad = [](const std::string& text, std::size_t width) { return text + std::string(width - text.size() + 2, ' '); };
  for (const auto& root : library.roots()) {
    std::cout << root.path.string() << " (" << layout_name(root.layout) << ")\n";
    for (const auto& entry : entries) {
      if (entry.root != root.path) continue;
      const auto hashes = entry_hashes(library, entry, compute);
      const std::string family = family_text(entry.family);
      std::cout << "  " << pad(std::string(kind_name(entry.kind)), kind_width) << pad(family.empty() ? "-" : family, family_width)
                << pad(entry.name, name_width) << pad(hashes ? hashes->autov2() : "-", 10) << entry.path.string() << "\n";
    }
  }
}

}  // namespace

int run_models(CommandLine& args) {
  const auto positionals = args.positionals();
  ModelLibrary library(library_roots(args));
  const bool json = args.flag("json");
  const bool compute = !args.flag("no-hash");
  const auto kind_text = args.value("kind");
  args.reject_unknown();
  if (positionals.size() != 1 || positionals[0] != "list") throw InvalidArgument("expected 'models list'");
  std::optional<ModelKind> kind;
  if (kind_text && !(kind = parse_model_kind(*kind_text)))
    throw InvalidArgument("--kind: '" + *kind_text + "' is none of checkpoint, lora, lycoris, embedding, vae, upscaler");

  library.scan();
  for (const auto& root : library.roots())
    for (const auto& problem : root.problems) std::cerr << "atelier-cli models: " << problem << "\n";
  const auto entries = kind ? library.entries(*kind) : library.entries();
  if (json) print_json(library, entries, compute);
  else print_table(library, entries, compute);
  return 0;
}

}  // namespace atelier::cli
