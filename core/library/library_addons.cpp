#include "core/library/library_addons.h"

#include "core/library/library_roots.h"

namespace atelier {

AddonFolderLists library_addon_folders(const std::vector<std::filesystem::path>& roots) {
  AddonFolderLists folders;
  folders.networks = kind_folders(roots, {ModelKind::Lora, ModelKind::Lycoris});
  folders.embeddings = kind_folders(roots, {ModelKind::Embedding});
  folders.vaes = kind_folders(roots, {ModelKind::Vae});
  folders.preview_decoders = kind_folders(roots, {ModelKind::Taesd});
  return folders;
}

AddonFolders::HashLookup library_hash_lookup(std::function<ModelLibrary&()> library) {
  return [library = std::move(library)](AddonKind kind, const std::string& hash) -> std::optional<std::filesystem::path> {
    const auto found = library().find_by_hash(kind == AddonKind::Vae ? ModelKind::Vae : ModelKind::Lora, hash);
    return found ? std::optional(found->path) : std::nullopt;
  };
}

}  // namespace atelier
