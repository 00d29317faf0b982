#pragma once
// What a generation's add-ons are looked up in when a model library is at hand: the LoRA/LyCORIS,
// embedding, VAE and preview-decoder folders of the library's roots (A1111's, ComfyUI's and
// Atelier's layouts), and the library's files by the hashes a re-run recorded.
#include <filesystem>
#include <functional>
#include <vector>

#include "core/library/model_library.h"
#include "core/networks/addon_folders.h"

namespace atelier {

AddonFolderLists library_addon_folders(const std::vector<std::filesystem::path>& roots);

// A network's or a VAE's file in `library` by its hash (which may hash the library's files).
AddonFolders::HashLookup library_hash_lookup(std::function<ModelLibrary&()> library);

}  // namespace atelier
