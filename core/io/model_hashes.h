#pragma once
// A model file's hashes as AUTOMATIC1111 computes them (modules/hashes.py, modules/sd_models.py),
// so that infotexts, Civitai and our library name the same file by the same hash.
#include <filesystem>
#include <string>

namespace atelier {

struct ModelHashes {
  std::string sha256;      // of the whole file, 64 hex digits
  std::string addnet;      // .safetensors only: of the data section after the header (64 hex); else empty
  std::string model_hash;  // A1111's old hash: 64 KiB from offset 1 MiB, 8 hex digits

  // "AutoV2", A1111's short checkpoint hash and Civitai's: the SHA-256's first 10 digits.
  std::string autov2() const { return sha256.substr(0, 10); }
  // What A1111 shows for a .safetensors LoRA ("Lora hashes" in infotexts): 12 digits.
  std::string addnet_short() const { return addnet.substr(0, 12); }

  friend bool operator==(const ModelHashes&, const ModelHashes&) = default;
};

// Whether `path` is named *.safetensors, in any case: what A1111 asks before the addnet hash.
bool has_safetensors_extension(const std::filesystem::path& path);

// Every hash of `path` in one read of the file (1 MiB blocks). The addnet hash is computed for
// files named *.safetensors (any case), as A1111 does. Throws Error naming the file when it cannot
// be read, FormatError when a .safetensors file's header length points past its end.
ModelHashes hash_model_file(const std::filesystem::path& path);

// A1111's old `model_hash`: SHA-256 of the 0x10000 bytes from offset 0x100000, first 8 digits. A
// file shorter than 1 MiB hashes the empty string ("e3b0c442"). Reads 64 KiB only.
std::string a1111_model_hash(const std::filesystem::path& path);

}  // namespace atelier
