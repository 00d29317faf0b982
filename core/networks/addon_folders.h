#pragma once
// Where a prompt's add-ons are found by name: the LoRA / LyCORIS folders and the embedding
// folders, searched through (sub-folders too) as A1111 lists them.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace atelier {

class AddonFolders {
 public:
  // A network file by its short (addnet) hash, e.g. the model library's lookup.
  using HashLookup = std::function<std::optional<std::filesystem::path>(const std::string& hash)>;

  AddonFolders() = default;
  AddonFolders(std::vector<std::filesystem::path> network_folders, std::vector<std::filesystem::path> embedding_folders,
               HashLookup network_by_hash = {});

  // A network by its file name without extension, else by its `ss_output_name` (A1111's
  // alias); case-sensitive. Folders are listed again when a name is not found, so files added
  // since are seen.
  std::optional<std::filesystem::path> find_network(const std::string& name) const;
  // A network by the hash an image recorded for it (A1111's "Lora hashes"), when renamed.
  std::optional<std::filesystem::path> find_network_by_hash(const std::string& hash) const;
  // Every embedding file (.pt, .bin, .safetensors), in a stable order.
  std::vector<std::filesystem::path> embedding_files() const;

  const std::vector<std::filesystem::path>& network_folders() const { return network_folders_; }
  const std::vector<std::filesystem::path>& embedding_folders() const { return embedding_folders_; }

 private:
  void list_networks() const;

  std::vector<std::filesystem::path> network_folders_, embedding_folders_;
  HashLookup network_by_hash_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::filesystem::path> by_name_, by_alias_;
};

}  // namespace atelier
