#pragma once
// A diffusers folder written from a single-file checkpoint, laid out as diffusers' conversion
// (convert_from_ckpt) writes one: UNet and VAE renamed by the key tables, the VAE's middle
// attention as Linear weights, the OpenCLIP towers as Hugging Face CLIPTextModel(WithProjection)
// with q, k and v split out of in_proj and text_projection transposed (SD2.x's CLIPTextModel
// without it, and without the last block), and the configs. The layout was checked once against diffusers' own inverse scripts
// (scripts/convert_diffusers_to_original_sdxl.py and convert_diffusers_to_original_stable_diffusion.py,
// diffusers 0.31), which turn such a folder back into the fixture's tensors exactly.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/models/checkpoint.h"
#include "core/models/diffusers_keys.h"
#include "core/models/model_source.h"

namespace atelier::test {

namespace diffusers_writer {

using Tensors = std::vector<std::pair<std::string, at::Tensor>>;

inline void write_json(const std::filesystem::path& path, const nlohmann::json& json) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << json.dump(2);
}

// The tensors of `source` under `prefix`, relative to it.
inline std::vector<std::string> names_under(const TensorSource& source, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& entry : source.entries())
    if (entry.name.starts_with(prefix)) names.push_back(entry.name.substr(prefix.size()));
  return names;
}

inline Tensors renamed(const TensorSource& source, const std::string& prefix, const KeyMap& names) {
  Tensors tensors;
  for (const auto& name : names_under(source, prefix)) {
    const std::string diffusers = names.to_diffusers(name);
    at::Tensor tensor = source.tensor(prefix + name);
    if (names.to_ldm(diffusers).form == StoredForm::LinearForConv && tensor.dim() == 4) tensor = tensor.flatten(1);
    tensors.emplace_back(diffusers, tensor);
  }
  return tensors;
}

// An OpenCLIP tower as CLIPTextModel, or CLIPTextModelWithProjection `with_projection`;
// `keep_layers` of its blocks.
inline Tensors open_clip_as_clip(const TensorSource& source, const std::string& prefix, int keep_layers,
                                 bool with_projection) {
  const KeyMap names = open_clip_key_map(keep_layers);
  Tensors tensors;
  for (const auto& name : names_under(source, prefix)) {
    if (name == "logit_scale" || name == "attn_mask" || (name == "text_projection" && !with_projection)) continue;
    if (name.starts_with("transformer.resblocks.") &&
        std::stoi(name.substr(std::string("transformer.resblocks.").size())) >= keep_layers)
      continue;
    const at::Tensor tensor = source.tensor(prefix + name);
    const std::string diffusers = names.to_diffusers(name);
    if (const auto fused = diffusers.find("in_proj_"); fused != std::string::npos) {
      const auto parts = tensor.chunk(3, 0);
      for (int i = 0; i < 3; ++i)
        tensors.emplace_back(diffusers.substr(0, fused) + kFusedAttentionProjections[i] +
                                 diffusers.substr(fused + std::string("in_proj_").size()),
                             parts[i].contiguous());
    } else if (name == "text_projection") {
      tensors.emplace_back(diffusers, tensor.t().contiguous());
    } else {
      tensors.emplace_back(diffusers, tensor);
    }
  }
  return tensors;
}

inline nlohmann::json text_config(const TextEncoderInfo& encoder, int layers) {
  return {{"hidden_act", encoder.config.quick_gelu ? "quick_gelu" : "gelu"},
          {"hidden_size", encoder.config.hidden_size},
          {"num_attention_heads", encoder.config.num_heads},
          {"num_hidden_layers", layers},
          {"layer_norm_eps", encoder.config.layer_norm_eps}};
}

}  // namespace diffusers_writer

inline void write_diffusers_folder(const std::filesystem::path& single_file, const std::filesystem::path& folder) {
  using namespace diffusers_writer;
  const CheckpointInfo info = inspect_checkpoint(single_file);
  const auto source = open_model_source(single_file);
  const auto& unet = info.unet;
  const int levels = static_cast<int>(unet.channel_mult.size());

  DiffusersUNetLayout layout{levels, unet.num_res_blocks, {}};
  nlohmann::json unet_config{{"_class_name", "UNet2DConditionModel"},
                             {"layers_per_block", unet.num_res_blocks},
                             {"cross_attention_dim", unet.context_dim}};
  std::vector<int> widths, heads;
  for (int level = 0; level < levels; ++level) {
    widths.push_back(unet.model_channels * unet.channel_mult[level]);
    heads.push_back(unet.heads_for(widths.back()));
    layout.up_attention.push_back(unet.has_attention(levels - 1 - level));
    unet_config["up_block_types"].push_back(layout.up_attention.back() ? "CrossAttnUpBlock2D" : "UpBlock2D");
  }
  unet_config["block_out_channels"] = widths;
  unet_config["attention_head_dim"] = unet.num_head_channels > 0 ? nlohmann::json(heads) : nlohmann::json(unet.num_heads);
  write_json(folder / "unet" / "config.json", unet_config);
  write_safetensors(folder / "unet" / "diffusion_pytorch_model.safetensors",
                    renamed(*source, "model.diffusion_model.", unet_key_map(layout)));

  std::vector<int> vae_widths;
  for (int mult : info.vae.ch_mult) vae_widths.push_back(info.vae.ch * mult);
  write_json(folder / "vae" / "config.json", {{"_class_name", "AutoencoderKL"},
                                              {"block_out_channels", vae_widths},
                                              {"layers_per_block", info.vae.num_res_blocks},
                                              {"scaling_factor", info.vae.scale_factor}});
  write_safetensors(folder / "vae" / "diffusion_pytorch_model.safetensors",
                    renamed(*source, "first_stage_model.",
                            vae_key_map(static_cast<int>(info.vae.ch_mult.size()), info.vae.num_res_blocks)));

  nlohmann::json index{{"unet", {"diffusers", "UNet2DConditionModel"}},
                       {"vae", {"diffusers", "AutoencoderKL"}},
                       {"scheduler", {"diffusers", "EulerDiscreteScheduler"}}};
  const bool xl = info.family == ModelFamily::SDXLBase || info.family == ModelFamily::SDXLRefiner;
  index["_class_name"] = info.family == ModelFamily::SDXLRefiner ? "StableDiffusionXLImg2ImgPipeline"
                         : xl                                    ? "StableDiffusionXLPipeline"
                                                                 : "StableDiffusionPipeline";
  if (info.family == ModelFamily::SDXLRefiner) index["text_encoder"] = {nullptr, nullptr};
  for (std::size_t i = 0; i < info.text_encoders.size(); ++i) {
    const auto& encoder = info.text_encoders[i];
    const bool second = xl && (info.family == ModelFamily::SDXLRefiner || i == 1);
    const std::string name = second ? "text_encoder_2" : "text_encoder";
    const bool open_clip = encoder.layout == TextEncoderInfo::Layout::OpenClip;
    index[name] = {"transformers", second ? "CLIPTextModelWithProjection" : "CLIPTextModel"};
    // SD2.x's tower ends at the block it is read from (diffusers drops resblocks.23).
    const int layers = encoder.config.num_layers - (info.family == ModelFamily::SD2 ? 1 : 0);
    write_json(folder / name / "config.json", text_config(encoder, layers));
    // A Hugging Face CLIP tower's names (text_model.…) are diffusers' already.
    const std::string component =
        open_clip ? encoder.prefix : encoder.prefix.substr(0, encoder.prefix.size() - std::string("text_model.").size());
    write_safetensors(folder / name / "model.safetensors", open_clip ? open_clip_as_clip(*source, component, layers, second)
                                                                     : renamed(*source, component, KeyMap({})));
  }
  write_json(folder / "model_index.json", index);
  write_json(folder / "scheduler" / "scheduler_config.json",
             {{"beta_schedule", "scaled_linear"},
              {"beta_start", info.schedule.linear_start},
              {"beta_end", info.schedule.linear_end},
              {"num_train_timesteps", info.schedule.timesteps},
              {"prediction_type", info.prediction == Prediction::V ? "v_prediction" : "epsilon"}});
}

}  // namespace atelier::test
