#include "core/models/diffusers_folder.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/models/diffusers_keys.h"
#include "core/models/model_source.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_config(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw FormatError(path.string() + " is missing");
  json config = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) throw FormatError(path.string() + ": not a JSON object");
  return config;
}

// Field `key` of `config` read from `path`; FormatError naming both when absent or mistyped.
template <typename T>
T field(const json& config, const char* key, const fs::path& path) {
  const auto value = config.find(key);
  if (value == config.end()) throw FormatError(path.string() + ": \"" + key + "\" is missing");
  try {
    return value->get<T>();
  } catch (const json::exception&) {
    throw FormatError(path.string() + ": \"" + key + "\" has the wrong type (" + value->type_name() + ")");
  }
}

// Field `key` of `config` when present and not null, else `fallback`.
template <typename T>
T optional_field(const json& config, const char* key, const fs::path& path, T fallback) {
  const auto value = config.find(key);
  if (value == config.end() || value->is_null()) return fallback;
  return field<T>(config, key, path);
}

// The shards a `*.safetensors.index.json` names.
std::vector<std::shared_ptr<const TensorSource>> open_shards(const fs::path& index) {
  std::vector<std::shared_ptr<const TensorSource>> shards;
  std::set<std::string> files;
  const json weight_map = field<json>(read_config(index), "weight_map", index);
  for (const auto& shard : weight_map)
    if (shard.is_string() && files.insert(shard.get<std::string>()).second)
      shards.push_back(open_weights_file(index.parent_path() / shard.get<std::string>()));
  return shards;
}

struct ComponentWeights {
  fs::path path;  // the file, or the shard index
  std::vector<std::shared_ptr<const TensorSource>> files;
};

// A component's weights: the full-precision ones, else the fp16 variant (diffusers inserts the
// variant before the extension); safetensors, whole or sharded, before a pickle.
ComponentWeights open_component_weights(const fs::path& dir, const std::string& stem, const std::string& pickle_stem) {
  for (const std::string variant : {"", ".fp16"}) {
    const fs::path whole = dir / (stem + variant + ".safetensors");
    const fs::path index = dir / (stem + ".safetensors.index" + variant + ".json");
    const fs::path pickle = dir / (pickle_stem + variant + ".bin");
    if (fs::is_regular_file(whole)) return {whole, {open_weights_file(whole)}};
    if (fs::is_regular_file(index)) return {index, open_shards(index)};
    if (fs::is_regular_file(pickle)) return {pickle, {open_weights_file(pickle)}};
  }
  throw FormatError(dir.string() + ": no weights file (" + stem + ".safetensors, " + pickle_stem + ".bin or their " +
                    ".fp16 variants)");
}

// The tensors of one component under their LDM names, and how to name a missing one.
struct Component {
  std::string prefix;  // of its LDM names
  KeyMap names;
  fs::path weights;    // for messages: the file (or shard index) the tensors come from
};

// A diffusers folder's tensors: messages for tensors the mapping expects but no file holds
// name the component's file and the diffusers name.
class DiffusersTensors : public RenamedTensors {
 public:
  DiffusersTensors(fs::path folder, std::vector<Entry> entries, std::vector<Component> components)
      : RenamedTensors(std::move(folder), std::move(entries)), components_(std::move(components)) {}

  std::string describe(std::string_view name) const override {
    if (contains(name)) return RenamedTensors::describe(name);
    for (const auto& component : components_)
      if (name.starts_with(component.prefix))
        return component.weights.string() + ": tensor " +
               component.names.to_diffusers(name.substr(component.prefix.size())) + " (" + std::string(name) + ")";
    return RenamedTensors::describe(name);
  }

 private:
  std::vector<Component> components_;
};

// Adds the tensors of component folder `dir` to `entries`, renamed by `component`.
void add_component(std::vector<RenamedTensors::Entry>& entries, std::vector<Component>& components, const fs::path& dir,
                   Component component, const std::string& stem, const std::string& pickle_stem) {
  if (!fs::is_directory(dir)) throw FormatError(dir.string() + " is missing");
  const auto [path, files] = open_component_weights(dir, stem, pickle_stem);
  component.weights = path;
  for (const auto& file : files) {
    for (const TensorEntry& stored : file->entries()) {
      const auto renamed = component.names.to_ldm(stored.name);
      TensorEntry entry{component.prefix + renamed.name, stored.dtype, stored.shape};
      if (renamed.conv_from_linear && entry.shape.size() == 2) entry.shape.insert(entry.shape.end(), {1, 1});
      entries.push_back({std::move(entry), {{file, stored.name}}, nullptr});
    }
  }
  components.push_back(std::move(component));
}

int levels_of(const json& config, const fs::path& path) {
  return static_cast<int>(field<std::vector<int>>(config, "block_out_channels", path).size());
}

KeyMap unet_names(const fs::path& config_path) {
  const json config = read_config(config_path);
  DiffusersUNetLayout layout;
  layout.levels = levels_of(config, config_path);
  layout.layers_per_block = field<int>(config, "layers_per_block", config_path);
  for (const auto& type : field<std::vector<std::string>>(config, "up_block_types", config_path))
    layout.up_attention.push_back(type.find("CrossAttn") != std::string::npos);
  return unet_key_map(layout);
}

KeyMap vae_names(const fs::path& config_path) {
  const json config = read_config(config_path);
  return vae_key_map(levels_of(config, config_path), field<int>(config, "layers_per_block", config_path));
}

// SD1.x's text encoder is CLIP ViT-L with quick_gelu; SD2.x's converted OpenCLIP tower uses
// gelu, and SDXL adds text_encoder_2: those need more than renaming.
void require_sd1_pipeline(const fs::path& folder, const json& index) {
  const auto name = optional_field<std::string>(index, "_class_name", folder / "model_index.json", "");
  if (index.contains("text_encoder_2") || name.find("XL") != std::string::npos)
    throw UnsupportedModel(folder.string() + ": SDXL diffusers folders are not supported yet; use the single-file checkpoint");
  const fs::path text_config = folder / "text_encoder" / "config.json";
  if (fs::exists(text_config) && optional_field<std::string>(read_config(text_config), "hidden_act", text_config, "") == "gelu")
    throw UnsupportedModel(folder.string() + ": SD2.x diffusers folders are not supported yet; use the single-file checkpoint");
}

// Heads per level from diffusers' `num_attention_heads`, or `attention_head_dim` (its historical
// name for the same number), as one number or one per down level.
void read_unet_heads(CheckpointInfo& info, const fs::path& path) {
  const json config = read_config(path);
  json heads = optional_field<json>(config, "num_attention_heads", path, nullptr);
  if (heads.is_null()) heads = optional_field<json>(config, "attention_head_dim", path, nullptr);
  if (heads.is_null()) return;
  const auto widths = field<std::vector<int>>(config, "block_out_channels", path);
  std::vector<int> per_level;
  try {
    per_level = heads.is_array() ? heads.get<std::vector<int>>() : std::vector<int>(widths.size(), heads.get<int>());
  } catch (const json::exception&) {
    throw FormatError(path.string() + ": \"attention_head_dim\" is not a number or a list of numbers");
  }
  if (per_level.size() != widths.size() || std::find(per_level.begin(), per_level.end(), 0) != per_level.end())
    throw FormatError(path.string() + ": one head count per level of block_out_channels expected");
  auto& unet = info.unet;
  if (std::equal(per_level.begin() + 1, per_level.end(), per_level.begin())) {
    unet.num_heads = per_level.front();
    unet.num_head_channels = -1;
    return;
  }
  unet.num_head_channels = widths.front() / per_level.front();
  for (std::size_t level = 0; level < widths.size(); ++level)
    if (widths[level] != unet.num_head_channels * per_level[level])
      info.unsupported_reason = path.string() + ": head counts that give different head widths per level are not supported";
}

void read_text_config(CheckpointInfo& info, const fs::path& path) {
  const json config = read_config(path);
  for (auto& encoder : info.text_encoders) {
    encoder.config.num_heads = optional_field(config, "num_attention_heads", path, encoder.config.num_heads);
    encoder.config.layer_norm_eps = optional_field(config, "layer_norm_eps", path, encoder.config.layer_norm_eps);
    encoder.config.quick_gelu = optional_field<std::string>(config, "hidden_act", path, "quick_gelu") == "quick_gelu";
  }
}

void read_scheduler_config(CheckpointInfo& info, const fs::path& path) {
  if (!fs::exists(path)) return;  // the released models' schedule
  const json config = read_config(path);
  const auto betas = optional_field<std::string>(config, "beta_schedule", path, "scaled_linear");
  if (betas != "scaled_linear")
    info.unsupported_reason = path.string() + ": beta_schedule \"" + betas + "\" is not supported";
  info.schedule.linear_start = optional_field(config, "beta_start", path, info.schedule.linear_start);
  info.schedule.linear_end = optional_field(config, "beta_end", path, info.schedule.linear_end);
  info.schedule.timesteps = optional_field(config, "num_train_timesteps", path, info.schedule.timesteps);
  const auto prediction = optional_field<std::string>(config, "prediction_type", path, "epsilon");
  if (prediction != "epsilon" && prediction != "v_prediction")
    info.unsupported_reason = path.string() + ": prediction_type \"" + prediction + "\" is not supported";
  info.prediction = prediction == "v_prediction" ? Prediction::V : Prediction::Epsilon;
  info.prediction_from_config = true;
}

}  // namespace

bool is_diffusers_pipeline(const fs::path& folder) { return fs::is_regular_file(folder / "model_index.json"); }

bool is_diffusers_vae(const fs::path& folder) {
  const fs::path config = folder / "config.json";
  if (!fs::is_regular_file(config)) return false;
  std::ifstream in(config);
  const json parsed = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() && parsed.contains("_class_name") && parsed.at("_class_name") == "AutoencoderKL";
}

std::shared_ptr<const TensorSource> open_diffusers_pipeline(const fs::path& path) {
  const fs::path folder = without_trailing_separator(path);
  if (!is_diffusers_pipeline(folder))
    throw FormatError(folder.string() + ": not a diffusers folder (no model_index.json)");
  const json index = read_config(folder / "model_index.json");
  require_sd1_pipeline(folder, index);
  std::vector<RenamedTensors::Entry> entries;
  std::vector<Component> components;
  add_component(entries, components, folder / "unet",
                {"model.diffusion_model.", unet_names(folder / "unet" / "config.json"), {}}, "diffusion_pytorch_model",
                "diffusion_pytorch_model");
  add_component(entries, components, folder / "vae",
                {"first_stage_model.", vae_names(folder / "vae" / "config.json"), {}}, "diffusion_pytorch_model",
                "diffusion_pytorch_model");
  add_component(entries, components, folder / "text_encoder", {"cond_stage_model.transformer.", KeyMap({}), {}},
                "model", "pytorch_model");
  return std::make_shared<const DiffusersTensors>(folder, std::move(entries), std::move(components));
}

std::shared_ptr<const TensorSource> open_diffusers_vae(const fs::path& path, const std::string& prefix) {
  const fs::path folder = without_trailing_separator(path);
  std::vector<RenamedTensors::Entry> entries;
  std::vector<Component> components;
  add_component(entries, components, folder, {prefix, vae_names(folder / "config.json"), {}},
                "diffusion_pytorch_model", "diffusion_pytorch_model");
  return std::make_shared<const DiffusersTensors>(folder, std::move(entries), std::move(components));
}

void apply_diffusers_configs(CheckpointInfo& info, const fs::path& folder) {
  read_unet_heads(info, folder / "unet" / "config.json");
  read_text_config(info, folder / "text_encoder" / "config.json");
  const fs::path vae_config = folder / "vae" / "config.json";
  info.vae.scale_factor = optional_field(read_config(vae_config), "scaling_factor", vae_config, info.vae.scale_factor);
  read_scheduler_config(info, folder / "scheduler" / "scheduler_config.json");
}

}  // namespace atelier
