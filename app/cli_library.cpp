#include "app/cli_library.h"

#include "core/error.h"
#include "core/library/library_addons.h"
#include "core/library/library_roots.h"
#include "core/library/library_settings.h"

namespace atelier::cli {
namespace {

std::vector<std::filesystem::path> roots_or_default(const std::vector<std::string>& given) {
  if (!given.empty()) return {given.begin(), given.end()};
  return library_roots_with_own(read_library_roots());
}

}  // namespace

std::vector<std::filesystem::path> library_roots(CommandLine& args) { return roots_or_default(args.values("library")); }

CheckpointFinder::CheckpointFinder(CommandLine& args) : given_roots_(args.values("library")) {}

std::filesystem::path CheckpointFinder::find(const std::string& what, const std::filesystem::path& query,
                                             const std::string& hash, const std::string& option) {
  std::error_code ignored;
  if (std::filesystem::exists(query, ignored)) return query;
  auto found = library().resolve(ModelKind::Checkpoint, query.string());
  if (!found && !hash.empty()) found = library_->find_by_hash(ModelKind::Checkpoint, hash);
  if (found) return found->path;
  std::string roots;
  for (const auto& root : library_->root_paths()) roots += (roots.empty() ? "" : ", ") + root.string();
  throw InvalidArgument(what + " '" + query.string() + "' not found" + (hash.empty() ? "" : " (hash " + hash + ")") +
                        " as a file or in the model library (" + (roots.empty() ? "no roots" : roots) + "); give " +
                        option + " PATH, a name or a hash");
}

ModelLibrary& CheckpointFinder::library() {
  if (!library_) {
    library_ = std::make_unique<ModelLibrary>(roots_or_default(given_roots_));
    library_->scan();
  }
  return *library_;
}

ModelResolver CheckpointFinder::resolver() {
  return [this](ModelKind kind, std::string_view name) -> std::optional<std::filesystem::path> {
    const auto found = library().resolve(kind, name);
    return found ? std::optional(found->path) : std::nullopt;
  };
}

std::shared_ptr<const AddonFolders> CheckpointFinder::addon_folders(CommandLine& args) {
  AddonFolderLists folders = library_addon_folders(roots_or_default(given_roots_));
  // The folders given on the command line come first.
  const auto given_networks = args.values("lora-dir"), given_embeddings = args.values("embeddings-dir");
  folders.networks.insert(folders.networks.begin(), given_networks.begin(), given_networks.end());
  folders.embeddings.insert(folders.embeddings.begin(), given_embeddings.begin(), given_embeddings.end());
  return std::make_shared<const AddonFolders>(std::move(folders),
                                              library_hash_lookup([this]() -> ModelLibrary& { return library(); }));
}

}  // namespace atelier::cli
