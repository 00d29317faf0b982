#include "core/models/model_source.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "core/io/safetensors.h"
#include "core/io/torch_checkpoint.h"
#include "core/models/diffusers_folder.h"

namespace atelier {
namespace {

bool has_pickle_extension(const std::filesystem::path& path) {
  static constexpr std::array kExtensions{".ckpt", ".pt", ".pth", ".bin"};
  const std::string extension = path.extension().string();
  return std::find(kExtensions.begin(), kExtensions.end(), extension) != kExtensions.end();
}

// A1111's transform_checkpoint_dict_key: older checkpoints name the CLIP text model without
// `text_model.`; only the prefix is replaced.
std::string a1111_key(std::string key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kRenames{{
      {"cond_stage_model.transformer.embeddings.", "cond_stage_model.transformer.text_model.embeddings."},
      {"cond_stage_model.transformer.encoder.", "cond_stage_model.transformer.text_model.encoder."},
      {"cond_stage_model.transformer.final_layer_norm.", "cond_stage_model.transformer.text_model.final_layer_norm."},
  }};
  for (const auto& [from, to] : kRenames)
    if (key.starts_with(from)) return std::string(to) + key.substr(from.size());
  return key;
}

}  // namespace

std::shared_ptr<const TensorSource> open_weights_file(const std::filesystem::path& path) {
  if (!has_pickle_extension(path) && !is_torch_pickle_file(path)) return std::make_shared<const SafetensorsFile>(path);
  // Each tensor keeps its own type (F16 UNet beside an F32 VAE, I64 position_ids); the loader
  // converts it when it copies it into its parameter. Keys the model does not ask for
  // (model_ema.*, position_ids) are never read.
  auto tensors = read_torch_state_dict(path);
  for (auto& [name, tensor] : tensors) name = a1111_key(std::move(name));
  return std::make_shared<const InMemoryTensors>(path, std::move(tensors));
}

std::filesystem::path without_trailing_separator(std::filesystem::path path) {
  while (path.has_relative_path() && path.filename().empty()) path = path.parent_path();
  return path;
}

std::shared_ptr<const TensorSource> open_model_source(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) return open_diffusers_pipeline(path);
  return open_weights_file(path);
}

}  // namespace atelier
