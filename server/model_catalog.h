#pragma once
// The models the server offers, as A1111's API lists them: the checkpoints, VAEs, LoRAs and
// embeddings of the model library (the roots given, else the studio's), plus the checkpoint the
// operator named at startup. Requests name models by title, name or hash only: a path in a
// request is never opened (no endpoint reads outside the model folders).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/library/model_library.h"
#include "core/networks/addon_folders.h"

namespace atelier::server {

// A1111's CheckpointInfo.
struct CheckpointItem {
  std::string title;       // "sub/name.safetensors [hash]", without " [hash]" until hashed
  std::string name;        // the path relative to its folder: "sub/name.safetensors"
  std::string model_name;  // the name without extension, '/' as '_': "sub_name"
  std::optional<std::string> hash;    // AutoV2, when known (A1111 too hashes on first use)
  std::optional<std::string> sha256;
  std::optional<std::filesystem::path> config;  // the .yaml beside it
  LibraryEntry entry;
};

class ModelCatalog {
 public:
  ModelCatalog(std::vector<std::filesystem::path> roots,
               std::filesystem::path hash_cache = ModelHashCache::default_file());

  // Scans the library again (A1111's refresh-checkpoints).
  void refresh();

  // The operator's --model: a path (anywhere) or a library name, title or hash; listed first
  // and the default checkpoint. InvalidArgument when nothing matches or Atelier cannot run it.
  CheckpointItem add_startup_model(const std::string& query);

  std::vector<CheckpointItem> checkpoints() const;
  // A listed checkpoint by title, name (with or without extension), model_name or hash.
  std::optional<CheckpointItem> find_checkpoint(std::string_view query);
  // The item of `path` with its hashes computed (remembered for the next listing).
  CheckpointItem hashed(const std::filesystem::path& path);

  std::vector<LibraryEntry> entries(ModelKind kind) const { return library_.entries(kind); }
  // A VAE by A1111's name for it (its file name); nullopt when the library has none of that name.
  std::optional<std::filesystem::path> find_vae(const std::string& name) const;

  // The library's upscaler of A1111's name for it (its file name without extension, or its
  // name relative to the folder); nullopt when none. Names only: a path is never opened.
  std::optional<std::filesystem::path> find_upscaler(std::string_view name) const;

  // Where prompts' networks and embeddings and VAE names are looked up: the library's folders.
  std::shared_ptr<const AddonFolders> addon_folders();

 private:
  CheckpointItem item(const LibraryEntry& entry) const;

  std::vector<std::filesystem::path> roots_;
  ModelLibrary library_;
  std::vector<LibraryEntry> startup_;  // the --model outside the library, when it is
};

}  // namespace atelier::server
