#include "core/networks/network_file.h"

#include <array>

#include "core/io/model_hashes.h"
#include "core/io/safetensors.h"
#include "core/io/torch_checkpoint.h"

namespace atelier {
namespace {

// The last parts of a dotted Hugging Face key that name the tensor within its module, and the
// kohya part each becomes.
struct DottedPart {
  std::string_view suffix, part;
};
constexpr std::array kDottedParts{
    DottedPart{".lora_A.weight", "lora_down.weight"}, DottedPart{".lora_B.weight", "lora_up.weight"},
    DottedPart{".lora_down.weight", "lora_down.weight"}, DottedPart{".lora_up.weight", "lora_up.weight"},
    DottedPart{"_lora.down.weight", "lora_down.weight"}, DottedPart{"_lora.up.weight", "lora_up.weight"},
    DottedPart{".lora.down.weight", "lora_down.weight"}, DottedPart{".lora.up.weight", "lora_up.weight"},
    DottedPart{".alpha", "alpha"},
};

struct DottedRoot {
  std::string_view from, to;
};
constexpr std::array kDottedRoots{
    DottedRoot{"unet.", "lora_unet_"},
    DottedRoot{"text_encoder_2.", "lora_te2_"},
    DottedRoot{"text_encoder.", "lora_te1_"},
};

// A module path of dots as kohya's underscores, without the attention-processor layout's
// `processor` level: `attn1.processor.to_out` -> `attn1_to_out`.
std::string underscored_path(std::string_view dotted) {
  std::string path;
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    const auto part = dotted.substr(0, dot);
    if (part != "processor") path.append(path.empty() ? "" : "_").append(part);
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return path;
}

// `unet.mid_block.attentions.0.proj_in.lora_A.weight` -> {"lora_unet_mid_block_attentions_0_proj_in",
// "lora_down.weight"}; false when the key is not in that form.
bool split_dotted(const std::string& key, std::string& prefix, std::string& part) {
  const DottedRoot* root = nullptr;
  for (const auto& candidate : kDottedRoots)
    if (key.starts_with(candidate.from)) {
      root = &candidate;
      break;
    }
  if (!root) return false;
  for (const auto& dotted : kDottedParts) {
    if (!key.ends_with(dotted.suffix)) continue;
    std::string path = underscored_path(
        std::string_view(key).substr(root->from.size(), key.size() - root->from.size() - dotted.suffix.size()));
    if (path.ends_with("_to_out")) path += "_0";
    prefix = std::string(root->to) + path;
    part = dotted.part;
    return true;
  }
  return false;
}

}  // namespace

const at::Tensor* NetworkModuleWeights::part(const std::string& name) const {
  const auto found = parts.find(name);
  return found == parts.end() ? nullptr : &found->second;
}

NetworkFile read_network_file(const std::filesystem::path& path) {
  NetworkFile network{path, {}, {}};
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  if (is_torch_pickle_file(path)) {
    tensors = read_torch_state_dict(path);  // a .pt / .ckpt network, read without running it
  } else {
    const SafetensorsFile file(path);
    network.metadata = file.metadata();
    for (const auto& entry : file.entries()) tensors.emplace_back(entry.name, file.tensor(entry.name));
  }
  std::map<std::string, std::size_t> index;
  for (auto& [name, tensor] : tensors) {
    std::string prefix, part;
    if (!split_dotted(name, prefix, part)) {
      const auto dot = name.find('.');
      prefix = name.substr(0, dot);
      part = dot == std::string::npos ? std::string() : name.substr(dot + 1);
    }
    auto [slot, added] = index.try_emplace(prefix, network.modules.size());
    if (added) network.modules.push_back({prefix, {}});
    network.modules[slot->second].parts[part] = std::move(tensor);
  }
  return network;
}

std::string network_short_hash(const NetworkFile& file) {
  if (const auto stored = file.metadata.find("sshs_model_hash"); stored != file.metadata.end() && !stored->second.empty())
    return stored->second.substr(0, 12);
  const auto hashes = hash_model_file(file.path);
  return (hashes.addnet.empty() ? hashes.sha256 : hashes.addnet).substr(0, 12);
}

std::string network_alias(const NetworkFile& file) {
  const auto alias = file.metadata.find("ss_output_name");
  return alias != file.metadata.end() ? alias->second : file.path.stem().string();
}

}  // namespace atelier
