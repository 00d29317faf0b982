#include "core/models/random_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/io/safetensors.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/unet.h"
#include "core/models/vae.h"

namespace atelier {
namespace {

// Below Xavier/He scale, so activations shrink rather than grow through the residual stacks.
constexpr double kWeightGain = 0.5;
constexpr double kEmbeddingStd = 0.02;  // CLIP's own initialisation

// Every parameter and buffer of `module` as it will be stored under `prefix`.
void add_layouts(std::vector<TensorLayout>& layouts, const torch::nn::Module& module, const std::string& prefix,
                 DType dtype) {
  auto add = [&](const auto& items) {
    for (const auto& item : items) layouts.push_back({prefix + item.key(), dtype, item.value().sizes().vec()});
  };
  add(module.named_parameters());
  add(module.named_buffers());
}

at::Tensor random_tensor(const TensorLayout& layout, at::Generator& generator) {
  const auto& shape = layout.shape;
  if (shape.size() == 1 && layout.name.ends_with(".bias")) return at::zeros(shape);
  if (shape.size() == 1) return at::ones(shape);  // the only 1-D weights are norms' scales
  auto weights = at::empty(shape);
  const bool embedding = layout.name.find("embedding.weight") != std::string::npos;
  const double fan_in = static_cast<double>(weights.numel() / shape[0]);
  return weights.normal_(0.0, embedding ? kEmbeddingStd : kWeightGain / std::sqrt(fan_in), generator);
}

}  // namespace

Sd1Architecture sd15_architecture() {
  Sd1Architecture sd15;
  sd15.unet.channel_mult = {1, 2, 4, 4};
  sd15.unet.transformer_depth = {1, 1, 1, 0};
  sd15.vae.ch_mult = {1, 2, 4, 4};
  sd15.vae.attention_levels = {false, false, false, false};
  return sd15;  // every other size is the config structs' default, which is SD1.5's
}

void write_random_checkpoint(const std::filesystem::path& path, const Sd1Architecture& architecture,
                             c10::ScalarType dtype, std::uint64_t seed) {
  const DType stored = to_dtype(dtype);
  // The modules only name and shape the tensors; each is released before the next is built.
  std::vector<TensorLayout> layouts;
  add_layouts(layouts, *ClipTextEncoder(architecture.clip), "cond_stage_model.transformer.text_model.", stored);
  add_layouts(layouts, *UNet(architecture.unet), "model.diffusion_model.", stored);
  add_layouts(layouts, *AutoencoderKL(architecture.vae), "first_stage_model.", stored);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  write_safetensors_streamed(path, std::move(layouts),
                             [&](const TensorLayout& layout) { return random_tensor(layout, generator); },
                             {{"format", "pt"}, {"source", "atelier random checkpoint"}});
}

}  // namespace atelier
