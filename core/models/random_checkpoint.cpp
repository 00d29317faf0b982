#include "core/models/random_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/io/safetensors.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/open_clip_text_encoder.h"
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

TextEncoderInfo sd1_text_encoder(const ClipTextConfig& config) {
  return {"cond_stage_model.transformer.text_model.", TextEncoderInfo::Layout::HuggingFaceClip, config};
}

Architecture released_architecture(std::string_view family) {
  using Layout = TextEncoderInfo::Layout;
  ClipTextConfig clip_l;  // the struct's defaults are ViT-L/14's
  auto open_clip = [](int width, int layers, int projection) {
    ClipTextConfig config;
    config.hidden_size = width;
    config.num_layers = layers;
    config.num_heads = width / 64;
    config.intermediate_size = 4 * width;
    config.quick_gelu = false;
    config.projection_dim = projection;
    return config;
  };
  Architecture a;
  a.vae.ch_mult = {1, 2, 4, 4};
  a.vae.attention_levels = {false, false, false, false};
  a.unet.channel_mult = {1, 2, 4, 4};
  a.unet.transformer_depth = {1, 1, 1, 0};
  if (family == "sd15") {
    a.text_encoders = {sd1_text_encoder(clip_l)};
  } else if (family == "sd21v") {
    a.unet.num_head_channels = 64;
    a.unet.linear_projection = true;
    a.unet.context_dim = 1024;
    a.text_encoders = {{"cond_stage_model.model.", Layout::OpenClip, open_clip(1024, 24, 1024)}};
    a.yaml = "model:\n  params:\n    parameterization: \"v\"\n    unet_config:\n      params:\n        num_head_channels: 64\n";
  } else if (family == "sdxl") {
    a.unet.channel_mult = {1, 2, 4};
    a.unet.transformer_depth = {0, 2, 10};
    a.unet.middle_transformer_depth = 10;
    a.unet.num_head_channels = 64;
    a.unet.linear_projection = true;
    a.unet.context_dim = 2048;
    a.unet.adm_in_channels = 2816;  // pooled 1280 + 6 × 256
    a.text_encoders = {{"conditioner.embedders.0.transformer.text_model.", Layout::HuggingFaceClip, clip_l},
                       {"conditioner.embedders.1.model.", Layout::OpenClip, open_clip(1280, 32, 1280)}};
  } else if (family == "sdxl-refiner") {
    a.unet.model_channels = 384;
    a.unet.transformer_depth = {0, 4, 4, 0};
    a.unet.middle_transformer_depth = 4;
    a.unet.num_head_channels = 64;
    a.unet.linear_projection = true;
    a.unet.context_dim = 1280;
    a.unet.adm_in_channels = 2560;  // pooled 1280 + 5 × 256
    a.text_encoders = {{"conditioner.embedders.0.model.", Layout::OpenClip, open_clip(1280, 32, 1280)}};
  } else {
    throw InvalidArgument("unknown family '" + std::string(family) + "'; choose sd15, sd21v, sdxl or sdxl-refiner");
  }
  return a;
}

void write_random_checkpoint(const std::filesystem::path& path, const Architecture& architecture,
                             c10::ScalarType dtype, std::uint64_t seed) {
  const DType stored = to_dtype(dtype);
  // The modules only name and shape the tensors; each is released before the next is built.
  std::vector<TensorLayout> layouts;
  for (const auto& encoder : architecture.text_encoders) {
    if (encoder.layout == TextEncoderInfo::Layout::OpenClip)
      add_layouts(layouts, *OpenClipTextEncoder(encoder.config), encoder.prefix, stored);
    else
      add_layouts(layouts, *ClipTextEncoder(encoder.config), encoder.prefix, stored);
  }
  add_layouts(layouts, *UNet(architecture.unet), "model.diffusion_model.", stored);
  add_layouts(layouts, *AutoencoderKL(architecture.vae), "first_stage_model.", stored);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  write_safetensors_streamed(path, std::move(layouts),
                             [&](const TensorLayout& layout) { return random_tensor(layout, generator); },
                             {{"format", "pt"}, {"source", "atelier random checkpoint"}});
  if (!architecture.yaml.empty()) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(architecture.yaml.data());
    write_file_atomically(std::filesystem::path(path).replace_extension(".yaml"), {bytes, architecture.yaml.size()});
  }
}

}  // namespace atelier
