#include "core/models/checkpoint.h"

#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace atelier {
namespace {

const std::string kUNet = "model.diffusion_model.";
const std::string kVae = "first_stage_model.";

class ShapeReader {
 public:
  explicit ShapeReader(const SafetensorsFile& file) : file_(file) {}

  bool has(const std::string& name) const { return file_.contains(name); }
  bool has_prefix(std::string_view prefix) const {
    for (const auto& entry : file_.entries())
      if (entry.name.starts_with(prefix)) return true;
    return false;
  }
  // Dimension `dim` of tensor `name`; FormatError naming the tensor when missing.
  int dim(const std::string& name, std::size_t dim) const {
    const TensorEntry* entry = file_.find(name);
    if (!entry) throw FormatError(file_.path().string() + ": tensor " + name + " is missing");
    if (dim >= entry->shape.size())
      throw FormatError(file_.path().string() + ": tensor " + name + " has too few dimensions");
    return static_cast<int>(entry->shape[dim]);
  }
  std::size_t rank(const std::string& name) const {
    const TensorEntry* entry = file_.find(name);
    return entry ? entry->shape.size() : 0;
  }
  // How many consecutive indices `prefix + i + suffix` exist, from 0.
  int count(const std::string& prefix, const std::string& suffix) const {
    int n = 0;
    while (has_prefix(prefix + std::to_string(n) + suffix)) ++n;
    return n;
  }

 private:
  const SafetensorsFile& file_;
};

UNetConfig unet_from_shapes(const ShapeReader& shapes) {
  UNetConfig config;
  const std::string in = kUNet + "input_blocks.";
  config.in_channels = shapes.dim(in + "0.0.weight", 1);
  config.model_channels = shapes.dim(in + "0.0.weight", 0);
  config.out_channels = shapes.dim(kUNet + "out.2.weight", 0);
  // Input blocks after the stem: per level, num_res_blocks ResBlocks, then a Downsample
  // (absent after the last level).
  config.num_res_blocks = 0;
  while (shapes.has(in + std::to_string(1 + config.num_res_blocks) + ".0.in_layers.2.weight"))
    ++config.num_res_blocks;
  if (config.num_res_blocks == 0) throw FormatError("the UNet has no residual blocks in input_blocks.1");
  int block = 1;
  while (shapes.has(in + std::to_string(block) + ".0.in_layers.2.weight")) {
    const std::string first = in + std::to_string(block);
    config.channel_mult.push_back(shapes.dim(first + ".0.in_layers.2.weight", 0) / config.model_channels);
    config.attention_levels.push_back(shapes.has_prefix(first + ".1.transformer_blocks."));
    block += config.num_res_blocks;
    if (shapes.has(in + std::to_string(block) + ".0.op.weight")) ++block;
  }
  std::string transformer = kUNet + "middle_block.1.";
  config.transformer_depth = shapes.count(transformer + "transformer_blocks.", ".");
  config.context_dim = shapes.dim(transformer + "transformer_blocks.0.attn2.to_k.weight", 1);
  config.linear_projection = shapes.rank(transformer + "proj_in.weight") == 2;
  return config;
}

VaeConfig vae_from_shapes(const ShapeReader& shapes) {
  VaeConfig config;
  const std::string enc = kVae + "encoder.";
  config.in_channels = shapes.dim(enc + "conv_in.weight", 1);
  config.ch = shapes.dim(enc + "conv_in.weight", 0);
  config.out_channels = shapes.dim(kVae + "decoder.conv_out.weight", 0);
  config.z_channels = shapes.dim(kVae + "decoder.conv_in.weight", 1);
  config.embed_dim = shapes.dim(kVae + "post_quant_conv.weight", 0);
  int levels = shapes.count(enc + "down.", ".block.0.");
  config.num_res_blocks = shapes.count(enc + "down.0.block.", ".");
  for (int level = 0; level < levels; ++level) {
    const std::string down = enc + "down." + std::to_string(level);
    config.ch_mult.push_back(shapes.dim(down + ".block.0.conv1.weight", 0) / config.ch);
    config.attention_levels.push_back(shapes.has_prefix(down + ".attn."));
  }
  return config;
}

ClipTextConfig clip_from_shapes(const ShapeReader& shapes, const std::string& prefix) {
  ClipTextConfig config;
  const std::string token = prefix + "embeddings.token_embedding.weight";
  config.vocab_size = shapes.dim(token, 0);
  config.hidden_size = shapes.dim(token, 1);
  config.max_positions = shapes.dim(prefix + "embeddings.position_embedding.weight", 0);
  config.num_layers = shapes.count(prefix + "encoder.layers.", ".");
  config.intermediate_size = shapes.dim(prefix + "encoder.layers.0.mlp.fc1.weight", 0);
  // CLIP's text towers use 64-wide heads (ViT-L/14: 768 / 12).
  config.num_heads = std::max(1, config.hidden_size / 64);
  return config;
}

std::vector<bool> levels_from_resolutions(const YAML::Node& resolutions, std::size_t levels) {
  std::vector<bool> result(levels, false);
  for (const auto& ds : resolutions) {
    int rate = ds.as<int>();
    for (std::size_t level = 0; level < levels; ++level)
      if ((1 << level) == rate) result[level] = true;
  }
  return result;
}

// Applies the LDM inference yaml's facts that shapes cannot tell.
void apply_sidecar(CheckpointInfo& info, const std::filesystem::path& yaml_path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(yaml_path.string());
  } catch (const YAML::Exception& e) {
    throw FormatError(yaml_path.string() + ": not a valid yaml file: " + e.what());
  }
  try {
    const YAML::Node params = root["model"]["params"];
    if (!params) return;
    if (params["parameterization"] && params["parameterization"].as<std::string>() == "v")
      info.prediction = Prediction::V;
    if (params["scale_factor"]) info.vae.scale_factor = params["scale_factor"].as<double>();
    if (params["linear_start"]) info.schedule.linear_start = params["linear_start"].as<double>();
    if (params["linear_end"]) info.schedule.linear_end = params["linear_end"].as<double>();
    if (params["timesteps"]) info.schedule.timesteps = params["timesteps"].as<int>();
    const YAML::Node unet = params["unet_config"]["params"];
    if (unet) {
      if (unet["num_heads"]) info.unet.num_heads = unet["num_heads"].as<int>();
      if (unet["num_head_channels"]) info.unet.num_head_channels = unet["num_head_channels"].as<int>();
      if (unet["attention_resolutions"])
        info.unet.attention_levels =
            levels_from_resolutions(unet["attention_resolutions"], info.unet.channel_mult.size());
    }
  } catch (const YAML::Exception& e) {
    throw FormatError(yaml_path.string() + ": unexpected value: " + e.what());
  }
}

void apply_family_defaults(CheckpointInfo& info) {
  switch (info.family) {
    case ModelFamily::SD1:
      info.unet.num_heads = 8;
      info.unet.num_head_channels = -1;
      break;
    case ModelFamily::SD2:
    case ModelFamily::SDXLBase:
    case ModelFamily::SDXLRefiner:
      info.unet.num_head_channels = 64;
      break;
    case ModelFamily::Unknown:
      break;
  }
}

// `<checkpoint>.yaml` as A1111 reads it; failing that, the yaml of the same model in another
// precision ("model-fp16.safetensors" beside "model.yaml"), which shares its architecture.
std::optional<std::filesystem::path> find_sidecar_yaml(const std::filesystem::path& checkpoint) {
  auto yaml = std::filesystem::path(checkpoint).replace_extension(".yaml");
  if (std::filesystem::exists(yaml)) return yaml;
  const std::string stem = checkpoint.stem().string();
  for (const char* precision : {"fp16", "fp32", "bf16", "half"}) {
    for (char separator : {'-', '_', '.'}) {
      const std::string suffix = std::string(1, separator) + precision;
      if (!stem.ends_with(suffix)) continue;
      auto base = checkpoint.parent_path() / (stem.substr(0, stem.size() - suffix.size()) + ".yaml");
      if (std::filesystem::exists(base)) return base;
    }
  }
  return std::nullopt;
}

std::string find_text_encoder_prefix(const ShapeReader& shapes) {
  for (const char* prefix : {"cond_stage_model.transformer.text_model.", "cond_stage_model.transformer."})
    if (shapes.has(std::string(prefix) + "embeddings.token_embedding.weight")) return prefix;
  return {};
}

void classify(CheckpointInfo& info, const ShapeReader& shapes) {
  if (!shapes.has_prefix(kUNet)) {
    if (shapes.has_prefix("down_blocks.") || shapes.has_prefix("unet.down_blocks."))
      info.unsupported_reason = "diffusers-format weights are not supported; use a single-file checkpoint";
    else if (shapes.has_prefix("lora_") || shapes.has_prefix("lora."))
      info.unsupported_reason = "this is a LoRA, not a checkpoint";
    else if (shapes.has_prefix("encoder.") && shapes.has_prefix("decoder."))
      info.unsupported_reason = "this is a standalone VAE, not a checkpoint";
    else
      info.unsupported_reason = "no UNet (model.diffusion_model.*) found: not a Stable Diffusion checkpoint";
    return;
  }
  if (shapes.has_prefix(kUNet + "joint_blocks.") || shapes.has_prefix(kUNet + "double_blocks.")) {
    info.unsupported_reason = "SD3 / Flux transformer models are not supported";
    return;
  }
  if (shapes.has_prefix("conditioner.embedders.1.model.")) {
    info.family = ModelFamily::SDXLBase;
  } else if (shapes.has_prefix("conditioner.embedders.0.model.")) {
    info.family = ModelFamily::SDXLRefiner;
  } else if (shapes.has_prefix("cond_stage_model.model.")) {
    info.family = ModelFamily::SD2;
  } else if (!(info.text_encoder_prefix = find_text_encoder_prefix(shapes)).empty()) {
    info.family = ModelFamily::SD1;
  } else {
    info.unsupported_reason = "no text encoder recognised (expected cond_stage_model.transformer.*)";
    return;
  }
  if (!shapes.has_prefix(kVae)) {
    info.unsupported_reason = "no VAE (first_stage_model.*) in the file";
    return;
  }
}

}  // namespace

std::string_view family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::SD1: return "SD1.x";
    case ModelFamily::SD2: return "SD2.x";
    case ModelFamily::SDXLBase: return "SDXL base";
    case ModelFamily::SDXLRefiner: return "SDXL refiner";
    case ModelFamily::Unknown: break;
  }
  return "unknown";
}

std::string CheckpointInfo::description() const {
  std::string text(family_name(family));
  if (inpainting) text += " inpainting";
  if (family != ModelFamily::Unknown) text += prediction == Prediction::V ? " (v-prediction)" : " (epsilon)";
  return text;
}

CheckpointInfo inspect_checkpoint(const SafetensorsFile& file) {
  CheckpointInfo info;
  info.path = file.path();
  info.tensor_count = file.entries().size();
  std::error_code ignored;
  info.file_size = std::filesystem::file_size(file.path(), ignored);
  for (const auto& entry : file.entries()) ++info.dtype_counts[std::string(dtype_name(entry.dtype))];

  ShapeReader shapes(file);
  classify(info, shapes);
  if (info.family == ModelFamily::Unknown) return info;

  try {
    info.unet = unet_from_shapes(shapes);
    info.vae = vae_from_shapes(shapes);
    if (info.family == ModelFamily::SD1) info.clip = clip_from_shapes(shapes, info.text_encoder_prefix);
    info.sizes_known = true;
  } catch (const FormatError& e) {
    info.unsupported_reason = std::string("unexpected layout: ") + e.what();
    return info;
  }
  info.inpainting = info.unet.in_channels == 9;
  apply_family_defaults(info);

  if (auto yaml = find_sidecar_yaml(file.path())) {
    info.sidecar_yaml = yaml;
    apply_sidecar(info, *yaml);
  }

  if (info.family != ModelFamily::SD1)
    info.unsupported_reason = std::string(family_name(info.family)) + " models are not supported yet";
  else if (info.inpainting)
    info.unsupported_reason = "inpainting models are not supported yet";
  else if (info.prediction == Prediction::V)
    info.unsupported_reason = "v-prediction SD1.x models are not supported yet";
  return info;
}

void require_supported(const CheckpointInfo& info) {
  if (!info.supported())
    throw UnsupportedModel(info.path.string() + ": " + info.description() + ": " + info.unsupported_reason);
}

}  // namespace atelier
