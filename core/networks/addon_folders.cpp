#include "core/networks/addon_folders.h"

#include <algorithm>
#include <set>

#include "core/io/safetensors.h"

namespace atelier {
namespace {

std::vector<std::filesystem::path> files_in(const std::vector<std::filesystem::path>& folders,
                                            const std::set<std::string>& extensions) {
  std::vector<std::filesystem::path> files;
  for (const auto& folder : folders) {
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) continue;
    auto options = std::filesystem::directory_options::follow_directory_symlink |
                   std::filesystem::directory_options::skip_permission_denied;
    for (auto it = std::filesystem::recursive_directory_iterator(folder, options, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      std::string extension = it->path().extension().string();
      std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
      if (it->is_regular_file(error) && extensions.count(extension)) files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<std::string> output_name(const std::filesystem::path& file) {
  if (file.extension() != ".safetensors") return std::nullopt;
  try {
    const SafetensorsFile network(file);
    const auto alias = network.metadata().find("ss_output_name");
    if (alias != network.metadata().end()) return alias->second;
  } catch (const std::exception&) {
    // An unreadable file is reported when it is used, not while listing.
  }
  return std::nullopt;
}

}  // namespace

AddonFolders::AddonFolders(AddonFolderLists folders, HashLookup by_hash)
    : folders_(std::move(folders)), by_hash_(std::move(by_hash)) {}

std::optional<std::filesystem::path> AddonFolders::find_by_hash(AddonKind kind, const std::string& hash) const {
  if (!by_hash_ || hash.empty()) return std::nullopt;
  return by_hash_(kind, hash);
}

void AddonFolders::list_networks() const {
  by_name_.clear();
  by_alias_.clear();
  for (const auto& file : files_in(folders_.networks, {".safetensors", ".pt", ".ckpt"})) {
    by_name_.try_emplace(file.stem().string(), file);
    if (const auto alias = output_name(file)) by_alias_.try_emplace(*alias, file);
  }
}

std::optional<std::filesystem::path> AddonFolders::find_network(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (const auto* names : {&by_name_, &by_alias_}) {
      std::error_code gone;
      // A file removed or renamed since the listing is looked for again.
      if (const auto found = names->find(name); found != names->end() && std::filesystem::is_regular_file(found->second, gone))
        return found->second;
    }
    if (attempt == 0) list_networks();
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> AddonFolders::find_vae(const std::string& name) const {
  for (const auto& file : files_in(folders_.vaes, {".pt", ".ckpt", ".safetensors"}))
    if (file.filename() == name) return file;
  for (const auto& folder : folders_.vaes) {
    const auto diffusers = folder / name;
    std::error_code error;
    if (std::filesystem::path(name).filename() == name && std::filesystem::is_regular_file(diffusers / "config.json", error))
      return diffusers;
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> AddonFolders::find_preview_decoder(std::string_view stem) const {
  for (const auto& folder : folders_.preview_decoders)
    for (const char* extension : {".safetensors", ".pth", ".pt"}) {
      const auto file = folder / (std::string(stem) + extension);
      std::error_code error;
      if (std::filesystem::is_regular_file(file, error)) return file;
    }
  return std::nullopt;
}

std::vector<std::filesystem::path> AddonFolders::embedding_files() const {
  return files_in(folders_.embeddings, {".pt", ".bin", ".safetensors"});
}

}  // namespace atelier
