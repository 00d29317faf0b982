#pragma once
// Where a generation's add-ons are found by name: the LoRA / LyCORIS folders, the embedding
// folders and the VAE folders, searched through (sub-folders too) as A1111 lists them.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

enum class AddonKind { Network, Vae };

struct AddonFolderLists {
  std::vector<std::filesystem::path> networks;    // LoRA and LyCORIS
  std::vector<std::filesystem::path> embeddings;  // textual inversion
  std::vector<std::filesystem::path> vaes;
  std::vector<std::filesystem::path> preview_decoders;  // TAESD
};

class AddonFolders {
 public:
  // An add-on file by the hash an image recorded for it (a network's short addnet hash, a VAE's
  // AutoV2), e.g. the model library's lookup.
  using HashLookup = std::function<std::optional<std::filesystem::path>(AddonKind kind, const std::string& hash)>;

  AddonFolders() = default;
  explicit AddonFolders(AddonFolderLists folders, HashLookup by_hash = {});

  // A network by its file name without extension, else by its `ss_output_name` (A1111's
  // alias); case-sensitive. Folders are listed again when a name is not found or its file is
  // gone, so files added, renamed or removed since are seen.
  std::optional<std::filesystem::path> find_network(const std::string& name) const;
  // A VAE by its file name with extension ("vae-ft-mse-840000-ema-pruned.safetensors", as A1111
  // names VAEs), or a diffusers VAE folder by its name; case-sensitive.
  std::optional<std::filesystem::path> find_vae(const std::string& name) const;
  // An add-on by the hash an image recorded for it (A1111's "Lora hashes", "VAE hash"), when renamed.
  std::optional<std::filesystem::path> find_by_hash(AddonKind kind, const std::string& hash) const;
  // The TAESD decoder `stem` ("taesd_decoder", "taesdxl_decoder") as A1111 and ComfyUI name
  // them, .safetensors before .pth; nullopt when the user has none.
  std::optional<std::filesystem::path> find_preview_decoder(std::string_view stem) const;
  // Every embedding file (.pt, .bin, .safetensors), in a stable order.
  std::vector<std::filesystem::path> embedding_files() const;

  const AddonFolderLists& folders() const { return folders_; }

 private:
  void list_networks() const;

  AddonFolderLists folders_;
  HashLookup by_hash_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::filesystem::path> by_name_, by_alias_;
};

}  // namespace atelier
