#include "core/models/checkpoint.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "core/models/diffusers_folder.h"
#include "core/models/model_source.h"

namespace atelier {
namespace {

const std::string kUNet = "model.diffusion_model.";
const std::string kVae = "first_stage_model.";

class ShapeReader {
 public:
  explicit ShapeReader(const TensorSource& source) : source_(source) {}

  bool has(const std::string& name) const { return source_.contains(name); }
  bool has_prefix(std::string_view prefix) const {
    for (const auto& entry : source_.entries())
      if (entry.name.starts_with(prefix)) return true;
    return false;
  }
  // Dimension `dim` of tensor `name`; FormatError naming the tensor when missing.
  int dim(const std::string& name, std::size_t dim) const {
    const TensorEntry* entry = source_.find(name);
    if (!entry) throw FormatError(source_.describe(name) + " is missing");
    if (dim >= entry->shape.size()) throw FormatError(source_.describe(name) + " has too few dimensions");
    return static_cast<int>(entry->shape[dim]);
  }
  std::size_t rank(const std::string& name) const {
    const TensorEntry* entry = source_.find(name);
    return entry ? entry->shape.size() : 0;
  }
  // How many consecutive indices `prefix + i + suffix` exist, from 0.
  int count(const std::string& prefix, const std::string& suffix) const {
    int n = 0;
    while (has_prefix(prefix + std::to_string(n) + suffix)) ++n;
    return n;
  }

 private:
  const TensorSource& source_;
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
    config.transformer_depth.push_back(shapes.count(first + ".1.transformer_blocks.", "."));
    block += config.num_res_blocks;
    if (shapes.has(in + std::to_string(block) + ".0.op.weight")) ++block;
  }
  const std::string middle = kUNet + "middle_block.1.";
  config.middle_transformer_depth = shapes.count(middle + "transformer_blocks.", ".");
  config.context_dim = shapes.dim(middle + "transformer_blocks.0.attn2.to_k.weight", 1);
  config.linear_projection = shapes.rank(middle + "proj_in.weight") == 2;
  if (shapes.has(kUNet + "label_emb.0.0.weight")) config.adm_in_channels = shapes.dim(kUNet + "label_emb.0.0.weight", 1);
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

// The released text towers use 64-wide heads (ViT-L 768 / 12, ViT-H 1024 / 16, bigG 1280 / 20);
// smaller ones name their head count in the sidecar (read_text_heads).
constexpr int kTextHeadWidth = 64;

// Where each layout keeps the tensors that give a text tower's sizes.
struct TextTowerNames {
  const char* token_embedding;  // [vocab, width]
  const char* positions;        // [positions, width]
  const char* blocks;           // "<blocks>N." for each block
  const char* mlp_in;           // first MLP weight of a block, [intermediate, width]
};
constexpr TextTowerNames kHuggingFaceClipNames{"embeddings.token_embedding.weight",
                                               "embeddings.position_embedding.weight", "encoder.layers.",
                                               "mlp.fc1.weight"};
constexpr TextTowerNames kOpenClipNames{"token_embedding.weight", "positional_embedding", "transformer.resblocks.",
                                        "mlp.c_fc.weight"};

ClipTextConfig text_tower_from_shapes(const ShapeReader& shapes, const std::string& prefix,
                                      const TextTowerNames& names) {
  ClipTextConfig config;
  const std::string token = prefix + names.token_embedding;
  config.vocab_size = shapes.dim(token, 0);
  config.hidden_size = shapes.dim(token, 1);
  config.max_positions = shapes.dim(prefix + names.positions, 0);
  config.num_layers = shapes.count(prefix + names.blocks, ".");
  config.intermediate_size = shapes.dim(prefix + names.blocks + "0." + names.mlp_in, 0);
  config.num_heads = std::max(1, config.hidden_size / kTextHeadWidth);
  return config;
}

ClipTextConfig open_clip_from_shapes(const ShapeReader& shapes, const std::string& prefix) {
  ClipTextConfig config = text_tower_from_shapes(shapes, prefix, kOpenClipNames);
  config.quick_gelu = false;
  if (shapes.has(prefix + "text_projection")) config.projection_dim = shapes.dim(prefix + "text_projection", 1);
  return config;
}

// The text encoders of each family and what its conditioning takes from them.
std::vector<TextEncoderInfo> text_encoders_from_shapes(ModelFamily family, const ShapeReader& shapes,
                                                       const std::string& sd1_prefix) {
  using Layout = TextEncoderInfo::Layout;
  using Output = TextEncoderInfo::Output;
  auto clip = [&](const std::string& prefix, Output output) {
    TextEncoderInfo info{prefix, Layout::HuggingFaceClip, text_tower_from_shapes(shapes, prefix, kHuggingFaceClipNames), output};
    info.hidden_layer = info.config.num_layers - 1;
    return info;
  };
  // OpenCLIP pads with 0; SD2 and SDXL both take the penultimate block (layer="penultimate").
  auto open_clip = [&](const std::string& prefix, Output output, bool pooled) {
    TextEncoderInfo info{prefix, Layout::OpenClip, open_clip_from_shapes(shapes, prefix), output};
    info.hidden_layer = info.config.num_layers - 1;
    info.pad_token = 0;
    info.pooled = pooled;
    return info;
  };
  switch (family) {
    case ModelFamily::SD1: return {clip(sd1_prefix, Output::LastNormed)};
    case ModelFamily::SD2: return {open_clip("cond_stage_model.model.", Output::HiddenNormed, false)};
    case ModelFamily::SDXLBase:
      return {clip("conditioner.embedders.0.transformer.text_model.", Output::Hidden),
              open_clip("conditioner.embedders.1.model.", Output::Hidden, true)};
    case ModelFamily::SDXLRefiner: return {open_clip("conditioner.embedders.0.model.", Output::Hidden, true)};
    case ModelFamily::Unknown: break;
  }
  return {};
}

YAML::Node load_yaml(const std::filesystem::path& path) {
  try {
    return YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw FormatError(path.string() + ": not a valid yaml file: " + e.what());
  }
}

// The comment lines of a yaml file, where test models and hand-made configs document the text
// towers that the released configs leave to their pretrained names.
std::string yaml_comments(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line, comments;
  while (std::getline(in, line))
    if (auto hash = line.find('#'); hash != std::string::npos) comments += line.substr(hash + 1) + "\n";
  return comments;
}

std::optional<int> first_number_after(const std::string& text, const std::regex& key) {
  std::smatch match;
  if (std::regex_search(text, match, key)) return std::stoi(match[1]);
  return std::nullopt;
}

// Head counts of the text towers: `num_attention_heads: N` (Hugging Face CLIP) and `heads: N`
// (OpenCLIP) in the yaml's comments, or OpenCLIP's own `open_clip_config.json` beside it.
void read_text_heads(CheckpointInfo& info, const std::filesystem::path& yaml_path) {
  const std::string comments = yaml_comments(yaml_path);
  const auto clip_heads = first_number_after(comments, std::regex(R"(num_attention_heads:\s*(\d+))"));
  auto open_clip_heads = first_number_after(comments, std::regex(R"((?:^|[^_\w])heads:\s*(\d+))"));
  const auto json_path = yaml_path.parent_path() / "open_clip_config.json";
  if (std::filesystem::exists(json_path)) {
    std::ifstream in(json_path);
    const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("text_cfg") && json["text_cfg"].value("heads", 0) > 0)
      open_clip_heads = json["text_cfg"]["heads"].get<int>();
  }
  for (auto& encoder : info.text_encoders) {
    const bool open_clip = encoder.layout == TextEncoderInfo::Layout::OpenClip;
    const auto heads = open_clip ? open_clip_heads : clip_heads;
    if (heads && *heads > 0 && encoder.config.hidden_size % *heads == 0) encoder.config.num_heads = *heads;
  }
}

// The node at `keys` below `node`, or an undefined node where one is missing (yaml-cpp throws
// when a missing node is indexed).
YAML::Node child(const YAML::Node& node, std::initializer_list<const char*> keys) {
  YAML::Node current = YAML::Clone(node);
  for (const char* key : keys) {
    if (!current || !current.IsMap() || !current[key]) return YAML::Node(YAML::NodeType::Undefined);
    current.reset(current[key]);
  }
  return current;
}

void read_unet_params(UNetConfig& unet, const YAML::Node& params) {
  if (!params) return;
  if (params["num_heads"] && params["num_heads"].as<int>() > 0) {
    unet.num_heads = params["num_heads"].as<int>();
    unet.num_head_channels = -1;
  }
  if (params["num_head_channels"] && params["num_head_channels"].as<int>() > 0)
    unet.num_head_channels = params["num_head_channels"].as<int>();
}

// sgm's `layer_idx` of a FrozenCLIPEmbedder ("hidden" layer), in the order of the encoders.
void read_sgm_text_layers(CheckpointInfo& info, const YAML::Node& conditioner) {
  const YAML::Node models = child(conditioner, {"params", "emb_models"});
  if (!models || !models.IsSequence()) return;
  std::size_t encoder = 0;
  for (const auto& model : models) {
    if (model["input_key"].as<std::string>("") != "txt") continue;
    if (encoder >= info.text_encoders.size()) break;
    auto& text = info.text_encoders[encoder++];
    const YAML::Node params = model["params"];
    if (params && params["layer"].as<std::string>("") == "hidden" && params["layer_idx"])
      text.hidden_layer = params["layer_idx"].as<int>();
  }
}

// Applies the facts that shapes cannot tell from the sidecar: LDM's inference yaml (SD1.x,
// SD2.x) or sgm's (SDXL: network_config, denoiser_config, conditioner_config).
void apply_sidecar(CheckpointInfo& info, const std::filesystem::path& yaml_path) {
  const YAML::Node root = load_yaml(yaml_path);
  try {
    const YAML::Node params = child(root, {"model", "params"});
    if (!params) return;
    if (params["parameterization"]) {
      info.prediction = params["parameterization"].as<std::string>() == "v" ? Prediction::V : Prediction::Epsilon;
      info.prediction_from_config = true;
    }
    if (const YAML::Node scaling = child(params, {"denoiser_config", "params", "scaling_config", "target"})) {
      info.prediction = scaling.as<std::string>().ends_with("VScaling") ? Prediction::V : Prediction::Epsilon;
      info.prediction_from_config = true;
    }
    if (info.family == ModelFamily::SD2 && params["unet_config"] && !info.prediction_from_config) {
      info.prediction_from_config = true;  // an LDM yaml without `parameterization` means ε
    }
    if (params["scale_factor"]) info.vae.scale_factor = params["scale_factor"].as<double>();
    if (params["linear_start"]) info.schedule.linear_start = params["linear_start"].as<double>();
    if (params["linear_end"]) info.schedule.linear_end = params["linear_end"].as<double>();
    if (params["timesteps"]) info.schedule.timesteps = params["timesteps"].as<int>();
    read_unet_params(info.unet, child(params, {"unet_config", "params"}));
    read_unet_params(info.unet, child(params, {"network_config", "params"}));
    if (params["conditioner_config"]) read_sgm_text_layers(info, params["conditioner_config"]);
  } catch (const YAML::Exception& e) {
    throw FormatError(yaml_path.string() + ": unexpected value: " + e.what());
  }
  read_text_heads(info, yaml_path);
}

// The released models' values for what shapes cannot tell, when there is no sidecar.
void apply_family_defaults(CheckpointInfo& info) {
  switch (info.family) {
    case ModelFamily::SD1:
      info.unet.num_heads = 8;
      info.unet.num_head_channels = -1;
      break;
    case ModelFamily::SD2:
      info.unet.num_head_channels = 64;
      break;
    case ModelFamily::SDXLBase:
    case ModelFamily::SDXLRefiner:
      info.unet.num_head_channels = 64;
      info.vae.scale_factor = 0.13025;
      break;
    case ModelFamily::Unknown:
      break;
  }
}

// What shapes and defaults cannot make consistent: attention widths that the head size does not
// divide (a small or unusual model without its yaml). Empty when consistent.
std::string head_size_problem(const CheckpointInfo& info) {
  const auto& unet = info.unet;
  for (std::size_t level = 0; level < unet.channel_mult.size(); ++level) {
    const bool middle = level + 1 == unet.channel_mult.size();
    if (!unet.has_attention(level) && !(middle && unet.middle_transformer_depth > 0)) continue;
    const int channels = unet.channel_mult[level] * unet.model_channels;
    const int heads = unet.heads_for(channels);
    if (heads < 1 || channels % heads != 0 || (unet.num_head_channels > 0 && channels % unet.num_head_channels))
      return "the UNet's " + std::to_string(channels) + " channels do not split into attention heads of " +
             std::to_string(unet.num_head_channels > 0 ? unet.num_head_channels : channels / std::max(heads, 1)) +
             "; put the model's yaml beside it";
  }
  for (const auto& encoder : info.text_encoders)
    if (encoder.config.hidden_size % encoder.config.num_heads != 0)
      return "the text encoder " + encoder.prefix + " width " + std::to_string(encoder.config.hidden_size) +
             " does not split into " + std::to_string(encoder.config.num_heads) + " heads";
  return {};
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

// A file's size, or a folder's files' together.
std::uintmax_t size_on_disk(const std::filesystem::path& path) {
  std::error_code ignored;
  if (!std::filesystem::is_directory(path)) return std::filesystem::file_size(path, ignored);
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ignored))
    if (entry.is_regular_file(ignored)) total += entry.file_size(ignored);
  return total;
}

std::string find_sd1_text_encoder_prefix(const ShapeReader& shapes) {
  for (const char* prefix : {"cond_stage_model.transformer.text_model.", "cond_stage_model.transformer."})
    if (shapes.has(std::string(prefix) + "embeddings.token_embedding.weight")) return prefix;
  return {};
}

// The family from the text encoders' prefixes; the SD1.x encoder's prefix (two spellings).
std::string classify(CheckpointInfo& info, const ShapeReader& shapes) {
  if (!shapes.has_prefix(kUNet)) {
    if (shapes.has_prefix("down_blocks.") || shapes.has_prefix("unet.down_blocks."))
      info.unsupported_reason =
          "diffusers-format weights alone; open the diffusers folder (with model_index.json) or a single-file checkpoint";
    else if (shapes.has_prefix("lora_") || shapes.has_prefix("lora."))
      info.unsupported_reason = "this is a LoRA, not a checkpoint";
    else if (shapes.has_prefix("encoder.") && shapes.has_prefix("decoder."))
      info.unsupported_reason = "this is a standalone VAE, not a checkpoint";
    else
      info.unsupported_reason = "no UNet (model.diffusion_model.*) found: not a Stable Diffusion checkpoint";
    return {};
  }
  if (shapes.has_prefix(kUNet + "joint_blocks.") || shapes.has_prefix(kUNet + "double_blocks.")) {
    info.unsupported_reason = "SD3 / Flux transformer models are not supported";
    return {};
  }
  std::string sd1_prefix;
  if (shapes.has_prefix("conditioner.embedders.1.model.")) {
    info.family = ModelFamily::SDXLBase;
  } else if (shapes.has_prefix("conditioner.embedders.0.model.")) {
    info.family = ModelFamily::SDXLRefiner;
  } else if (shapes.has_prefix("cond_stage_model.model.")) {
    info.family = ModelFamily::SD2;
  } else if (!(sd1_prefix = find_sd1_text_encoder_prefix(shapes)).empty()) {
    info.family = ModelFamily::SD1;
  } else {
    info.unsupported_reason = "no text encoder recognised (expected cond_stage_model.transformer.*)";
    return {};
  }
  if (!shapes.has_prefix(kVae)) info.unsupported_reason = "no VAE (first_stage_model.*) in the file";
  return sd1_prefix;
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
  if (family == ModelFamily::SD2 && !prediction_from_config)
    text += " (epsilon or v-prediction, told when loaded)";
  else if (family != ModelFamily::Unknown)
    text += prediction == Prediction::V ? " (v-prediction)" : " (epsilon)";
  return text;
}

CheckpointInfo inspect_checkpoint(const TensorSource& source) {
  CheckpointInfo info;
  info.path = source.path();
  info.tensor_count = source.entries().size();
  info.file_size = size_on_disk(source.path());
  for (const auto& entry : source.entries()) ++info.dtype_counts[std::string(dtype_name(entry.dtype))];
  const bool folder = std::filesystem::is_directory(source.path());

  ShapeReader shapes(source);
  const std::string sd1_prefix = classify(info, shapes);
  if (info.family == ModelFamily::Unknown || !info.supported()) return info;

  try {
    info.unet = unet_from_shapes(shapes);
    info.vae = vae_from_shapes(shapes);
    info.text_encoders = text_encoders_from_shapes(info.family, shapes, sd1_prefix);
    info.sizes_known = true;
  } catch (const FormatError& e) {
    info.unsupported_reason = std::string("unexpected layout: ") + e.what();
    return info;
  }
  info.inpainting = info.unet.in_channels == 9;
  apply_family_defaults(info);

  if (folder) {
    apply_diffusers_configs(info, source.path());
    if (!info.supported()) return info;
  } else if (auto yaml = find_sidecar_yaml(source.path())) {
    info.sidecar_yaml = yaml;
    apply_sidecar(info, *yaml);
  }
  info.unsupported_reason = head_size_problem(info);
  return info;
}

CheckpointInfo inspect_checkpoint(const std::filesystem::path& path) { return inspect_checkpoint(*open_model_source(path)); }

void require_supported(const CheckpointInfo& info) {
  if (!info.supported())
    throw UnsupportedModel(info.path.string() + ": " + info.description() + ": " + info.unsupported_reason);
}

}  // namespace atelier
