#include "server/model_catalog.h"

#include <algorithm>

#include "core/error.h"
#include "core/library/library_addons.h"
#include "core/library/library_roots.h"

namespace atelier::server {
namespace {

namespace fs = std::filesystem;

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

bool same_hex(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// The names A1111 registers a checkpoint under (sd_models.CheckpointInfo: title, name,
// model_name, the name without extension, the hashes), and the stem as the infotext's Model.
bool names_checkpoint(const CheckpointItem& item, std::string_view query) {
  if (query == item.title || query == item.name || query == item.model_name || query == item.entry.name ||
      query == item.entry.stem)
    return true;
  if (!is_hex(query) || query.size() < 8) return false;
  if (item.sha256 && query.size() <= item.sha256->size() && same_hex(query, item.sha256->substr(0, query.size())))
    return true;
  return item.entry.hashes && same_hex(query, item.entry.hashes->model_hash);
}

}  // namespace

ModelCatalog::ModelCatalog(std::vector<fs::path> roots, fs::path hash_cache)
    : roots_(roots), library_(std::move(roots), std::move(hash_cache)) {
  library_.scan();
}

void ModelCatalog::refresh() { library_.scan(); }

CheckpointItem ModelCatalog::add_startup_model(const std::string& query) {
  const auto entry = library_.require(ModelKind::Checkpoint, query);
  if (!entry.problem.empty()) throw UnsupportedModel(entry.path.string() + ": " + entry.problem);
  const auto listed = library_.entries(ModelKind::Checkpoint);
  const bool in_library = std::any_of(listed.begin(), listed.end(), [&](const auto& e) { return e.path == entry.path; });
  if (!in_library) startup_.insert(startup_.begin(), entry);
  return item(entry);
}

CheckpointItem ModelCatalog::item(const LibraryEntry& entry) const {
  CheckpointItem item{entry.relative_path, entry.relative_path, entry.name, std::nullopt, std::nullopt, std::nullopt, entry};
  std::replace(item.model_name.begin(), item.model_name.end(), '/', '_');
  if (entry.hashes) {
    item.hash = entry.hashes->autov2();
    item.sha256 = entry.hashes->sha256;
    item.title += " [" + *item.hash + "]";
  }
  std::error_code ignored;
  if (auto yaml = fs::path(entry.path).replace_extension(".yaml"); !entry.diffusers_folder && fs::is_regular_file(yaml, ignored))
    item.config = yaml;
  return item;
}

std::vector<CheckpointItem> ModelCatalog::checkpoints() const {
  std::vector<CheckpointItem> items;
  for (const auto& entry : startup_) items.push_back(item(entry));
  for (const auto& entry : library_.entries(ModelKind::Checkpoint))
    if (entry.problem.empty()) items.push_back(item(entry));
  return items;
}

std::optional<CheckpointItem> ModelCatalog::find_checkpoint(std::string_view query) {
  const auto items = checkpoints();
  // A1111's titles: "name [hash]", where the hash may be stale or absent from ours.
  std::string_view name = query;
  if (const auto open = query.rfind(" ["); open != std::string_view::npos && query.ends_with("]"))
    name = query.substr(0, open);
  for (const auto& item : items)
    if (names_checkpoint(item, query) || names_checkpoint(item, name)) return item;
  if (is_hex(query)) {  // a hash not yet known: hash the library's files until one matches
    const auto found = library_.find_by_hash(ModelKind::Checkpoint, query);
    if (found && found->problem.empty()) return item(*found);
  }
  return std::nullopt;
}

CheckpointItem ModelCatalog::hashed(const fs::path& path) {
  for (auto item : checkpoints()) {
    if (item.entry.path != path) continue;
    if (item.entry.diffusers_folder) return item;  // A1111 has no hash for a folder
    item.entry.hashes = library_.hashes(item.entry);
    for (auto& entry : startup_)
      if (entry.path == path) entry.hashes = item.entry.hashes;
    return this->item(item.entry);
  }
  throw InvalidArgument("checkpoint " + path.string() + " is not in the model list");
}

std::optional<fs::path> ModelCatalog::find_vae(const std::string& name) const {
  for (const auto& entry : library_.entries(ModelKind::Vae))
    if (entry.file_name == name || entry.name == name) return entry.path;
  return std::nullopt;
}

std::optional<fs::path> ModelCatalog::find_upscaler(std::string_view name) const {
  const auto entry = library_.find(ModelKind::Upscaler, name);
  return entry ? std::optional(entry->path) : std::nullopt;
}

std::shared_ptr<const AddonFolders> ModelCatalog::addon_folders() {
  return std::make_shared<const AddonFolders>(library_addon_folders(roots_),
                                              library_hash_lookup([this]() -> ModelLibrary& { return library_; }));
}

}  // namespace atelier::server
