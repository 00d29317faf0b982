#include "core/networks/model_layers.h"

#include <regex>

#include "core/models/layers.h"
#include "core/models/open_clip_text_encoder.h"

namespace atelier {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string underscored(std::string path) {
  replace_all(path, ".", "_");
  return path;
}

// A1111's root of a text encoder's names: its checkpoint prefix below `cond_stage_model.`, or
// `N_` + below `conditioner.embedders.N.` (SDXL).
std::string text_root(const std::string& prefix) {
  static const std::regex sdxl(R"(conditioner\.embedders\.(\d+)\.(.*))");
  std::smatch match;
  if (std::regex_match(prefix, match, sdxl)) return match[1].str() + "_" + underscored(match[2].str());
  std::string below = prefix.starts_with("cond_stage_model.") ? prefix.substr(17) : prefix;
  return underscored(below);
}

at::Tensor& parameter(torch::nn::Module& module, const std::string& name) {
  return *module.named_parameters(/*recurse=*/false).find(name);
}

void add_layers(std::map<std::string, ModelLayer>& layers, torch::nn::Module& network, const std::string& root,
                bool text_encoder, const WeightStream* stream) {
  std::string attention;  // the last OpenCLIP attention seen: its children follow it
  for (const auto& item : network.named_modules("", /*include_self=*/false)) {
    torch::nn::Module& module = *item.value();
    std::optional<ModelLayer::Kind> kind;
    if (module.as<LinearImpl>()) kind = ModelLayer::Kind::Linear;
    else if (module.as<Conv2dImpl>()) kind = ModelLayer::Kind::Convolution;
    else if (module.as<LayerNormImpl>() || module.as<GroupNormImpl>()) kind = ModelLayer::Kind::Norm;
    else if (module.as<OpenClipAttentionImpl>()) kind = ModelLayer::Kind::Attention;
    if (!kind) continue;
    if (*kind == ModelLayer::Kind::Attention) attention = item.key();
    const bool inside_attention = !attention.empty() && item.key() == attention + ".out_proj";
    layers[root + underscored(item.key())] = {*kind, text_encoder, inside_attention, &module, item.key(), stream};
  }
}

int to_int(const std::ssub_match& match) { return std::stoi(match.str()); }

}  // namespace

std::string ModelLayer::weight_name() const { return kind == Kind::Attention ? "in_proj_weight" : "weight"; }

std::vector<int64_t> ModelLayer::weight_shape() const {
  return stream ? stream->shape(path + "." + weight_name()) : weight().sizes().vec();
}

at::Tensor ModelLayer::weight() const {
  if (auto* conv = module->as<Conv2dImpl>()) return conv->dense_weight();
  return parameter(*module, weight_name());
}

void ModelLayer::set_weight(const at::Tensor& values) const {
  if (stream) return parameter(*module, weight_name()).set_data(values);
  if (auto* conv = module->as<Conv2dImpl>()) return conv->set_dense_weight(values);
  parameter(*module, weight_name()).copy_(values);
}

at::Tensor ModelLayer::bias() const {
  if (kind == Kind::Attention) return {};
  const auto params = module->named_parameters(/*recurse=*/false);
  const auto* bias = params.find("bias");
  return bias ? *bias : at::Tensor();
}

void ModelLayer::set_bias(const at::Tensor& values) const {
  if (stream) return parameter(*module, "bias").set_data(values);
  parameter(*module, "bias").copy_(values);
}

ModelLayers::ModelLayers(StableDiffusionModel& model) : unet_(model.info.unet) {
  for (auto& encoder : model.text_encoders)
    add_layers(layers_, *encoder.network, text_root(encoder.info.prefix), true, encoder.weights.get());
  add_layers(layers_, *model.unet, "diffusion_model_", false, model.unet->weight_stream());
  sd2_text_ = model.text_encoders.size() == 1 &&
              model.text_encoders[0].info.layout == TextEncoderInfo::Layout::OpenClip;
}

const ModelLayer* ModelLayers::find(const std::string& name) const {
  const auto found = layers_.find(name);
  return found == layers_.end() ? nullptr : &found->second;
}

// networks.py convert_diffusers_name_to_compvis, with the UNet's block counts instead of SD's
// fixed num_res_blocks = 2 (the two agree on every released model).
std::string ModelLayers::compvis_name(const std::string& key) const {
  static const std::regex conv_in(R"(lora_unet_conv_in(.*))"), conv_out(R"(lora_unet_conv_out(.*))"),
      time_embed(R"(lora_unet_time_embedding_linear_(\d+)(.*))"),
      down(R"(lora_unet_down_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+))"),
      mid(R"(lora_unet_mid_block_(attentions|resnets)_(\d+)_(.+))"),
      up(R"(lora_unet_up_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+))"),
      downsampler(R"(lora_unet_down_blocks_(\d+)_downsamplers_0_conv)"),
      upsampler(R"(lora_unet_up_blocks_(\d+)_upsamplers_0_conv)"),
      te(R"(lora_te_text_model_encoder_layers_(\d+)_(.+))"), te2(R"(lora_te2_text_model_encoder_layers_(\d+)_(.+))");
  static const std::map<std::string, std::string> resnet_suffixes{
      {"conv1", "in_layers_2"},     {"conv2", "out_layers_3"},          {"norm1", "in_layers_0"},
      {"norm2", "out_layers_0"},    {"time_emb_proj", "emb_layers_1"},  {"conv_shortcut", "skip_connection"}};
  const auto suffix = [&](const std::ssub_match& kind, const std::ssub_match& rest) {
    if (kind.str() == "resnets")
      if (const auto found = resnet_suffixes.find(rest.str()); found != resnet_suffixes.end()) return found->second;
    return rest.str();
  };
  // OpenCLIP's names for a CLIP layer's parts (SD2's text encoder, SDXL's second).
  const auto open_clip = [](std::string rest) {
    if (rest.find("mlp_fc1") != std::string::npos) replace_all(rest, "mlp_fc1", "mlp_c_fc");
    else if (rest.find("mlp_fc2") != std::string::npos) replace_all(rest, "mlp_fc2", "mlp_c_proj");
    else replace_all(rest, "self_attn", "attn");
    return rest;
  };
  const int blocks_per_level = unet_.num_res_blocks + 1;
  const int levels = static_cast<int>(unet_.channel_mult.size());
  std::smatch m;
  if (std::regex_match(key, m, conv_in)) return "diffusion_model_input_blocks_0_0" + m[1].str();
  if (std::regex_match(key, m, conv_out)) return "diffusion_model_out_2" + m[1].str();
  if (std::regex_match(key, m, time_embed))
    return "diffusion_model_time_embed_" + std::to_string(to_int(m[1]) * 2 - 2) + m[2].str();
  if (std::regex_match(key, m, down)) {
    const int block = 1 + to_int(m[1]) * blocks_per_level + to_int(m[3]);
    return "diffusion_model_input_blocks_" + std::to_string(block) + (m[2] == "attentions" ? "_1_" : "_0_") +
           suffix(m[2], m[4]);
  }
  if (std::regex_match(key, m, mid)) {
    const int resnet_step = unet_.middle_transformer_depth > 0 ? 2 : 1;
    const int block = m[1] == "attentions" ? 1 : to_int(m[2]) * resnet_step;
    return "diffusion_model_middle_block_" + std::to_string(block) + "_" + suffix(m[1], m[3]);
  }
  if (std::regex_match(key, m, up)) {
    const int block = to_int(m[1]) * blocks_per_level + to_int(m[3]);
    return "diffusion_model_output_blocks_" + std::to_string(block) + (m[2] == "attentions" ? "_1_" : "_0_") +
           suffix(m[2], m[4]);
  }
  if (std::regex_match(key, m, downsampler))
    return "diffusion_model_input_blocks_" + std::to_string((to_int(m[1]) + 1) * blocks_per_level) + "_0_op";
  if (std::regex_match(key, m, upsampler)) {
    const int level = levels - 1 - to_int(m[1]);
    const bool attention = level >= 0 && level < levels && unet_.has_attention(level);
    return "diffusion_model_output_blocks_" + std::to_string(to_int(m[1]) * blocks_per_level + unet_.num_res_blocks) +
           (attention ? "_2" : "_1") + "_conv";
  }
  if (std::regex_match(key, m, te)) {
    if (sd2_text_) return "model_transformer_resblocks_" + m[1].str() + "_" + open_clip(m[2].str());
    return "transformer_text_model_encoder_layers_" + m[1].str() + "_" + m[2].str();
  }
  if (std::regex_match(key, m, te2)) return "1_model_transformer_resblocks_" + m[1].str() + "_" + open_clip(m[2].str());
  return key;
}

std::optional<ModelLayers::Match> ModelLayers::lookup(const std::string& name) const {
  if (const auto* layer = find(name)) return Match{name, layer};
  return std::nullopt;
}

std::optional<ModelLayers::Match> ModelLayers::resolve(const std::string& key) const {
  const std::string name = compvis_name(key);
  if (auto match = lookup(name)) return match;
  // `…_q_proj` / `_k_proj` / `_v_proj` of an OpenCLIP attention: the fused projection.
  static const std::regex projection(R"((.*)_([qkv]_proj))");
  std::smatch m;
  if (std::regex_match(name, m, projection))
    if (const auto* layer = find(m[1].str()); layer && layer->kind == ModelLayer::Kind::Attention)
      return Match{name, layer};
  // Keys already in compvis form (kohya's SDXL files, some SD1 ones).
  if (key.find("lora_unet") != std::string::npos) {
    std::string compvis = key;
    replace_all(compvis, "lora_unet", "diffusion_model");
    return lookup(compvis);
  }
  if (key.find("lora_te1_text_model") != std::string::npos) {
    for (const char* root : {"0_transformer_text_model", "transformer_text_model"}) {
      std::string compvis = key;
      replace_all(compvis, "lora_te1_text_model", root);
      if (auto match = lookup(compvis)) return match;
    }
    // The first text encoder of a Hugging Face folder on SD2.x: OpenCLIP's names.
    if (sd2_text_) return resolve("lora_te_" + key.substr(9));
  }
  return std::nullopt;
}

}  // namespace atelier
