#pragma once
// A LoRA / LyCORIS file as its modules: the tensors of each key prefix (the module it patches,
// in kohya's `lora_unet_…` / `lora_te_…` naming) grouped by their part (`lora_up.weight`,
// `alpha`, `hada_w1_a`, …).
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace atelier {

struct NetworkModuleWeights {
  std::string key;                          // "lora_unet_mid_block_attentions_0_proj_in"
  std::map<std::string, at::Tensor> parts;  // "lora_down.weight" -> tensor
  const at::Tensor* part(const std::string& name) const;
};

struct NetworkFile {
  std::filesystem::path path;
  std::map<std::string, std::string> metadata;  // the safetensors header's __metadata__
  std::vector<NetworkModuleWeights> modules;    // in the file's key order
};

// Reads a `.safetensors` network, or a `.pt` / `.ckpt` one through the restricted unpickler
// (core/io/torch_checkpoint.h: nothing in it runs). Keys split at their first '.' as A1111 splits them; the
// dotted names Hugging Face trainers write (`unet.down_blocks.0.….to_q.lora_A.weight`,
// `text_encoder.text_model.….lora_B.weight`, `….processor.to_q_lora.down.weight`) become the
// same kohya prefixes (`text_encoder` is `lora_te1_`, `text_encoder_2` is `lora_te2_`).
// Throws FormatError naming the file when it cannot be read or is refused.
NetworkFile read_network_file(const std::filesystem::path& path);

// The name A1111 also finds a network by: its `ss_output_name`, else the file name's stem.
std::string network_alias(const NetworkFile& file);

// A1111's short hash of a network (network.py NetworkOnDisk): the `sshs_model_hash` metadata
// when present, else the SHA-256 of a .safetensors file's data section (kohya's addnet hash,
// which ignores the header) or of a whole other file; the first 12 hex digits.
std::string network_short_hash(const NetworkFile& file);

}  // namespace atelier
