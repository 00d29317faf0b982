#include "core/models/diffusers_folder.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

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

// A pipeline's text encoder: its folder, and where the single file keeps it.
struct TextComponent {
  std::string folder;  // "text_encoder", "text_encoder_2"
  std::string prefix;  // of its LDM names
  bool open_clip;      // stored as Hugging Face CLIP, read under OpenCLIP's names (SD2.x, SDXL's bigG)
};

// diffusers' name of LDM tensor `name` of `component`; for OpenCLIP's fused in_proj, its three
// parts (`…self_attn.{q,k,v}_proj.weight`).
std::string stored_name(const Component& component, std::string_view name) {
  std::string stored = component.names.to_diffusers(name.substr(component.prefix.size()));
  if (const auto fused = stored.find("in_proj_"); fused != std::string::npos)
    stored.replace(fused, std::string_view("in_proj_").size(), "{q,k,v}_proj.");
  return stored;
}

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
        return component.weights.string() + ": tensor " + stored_name(component, name) + " (" + std::string(name) + ")";
    return RenamedTensors::describe(name);
  }

 private:
  std::vector<Component> components_;
};

at::Tensor transposed(const std::vector<at::Tensor>& parts) { return parts.front().t().contiguous(); }
at::Tensor stacked(const std::vector<at::Tensor>& parts) { return at::cat(parts, 0); }

// For a renamed `…attn.q_proj.weight` (k, v; biases alike): its place in in_proj (0, 1, 2)
// and the in_proj tensor's name.
std::optional<std::pair<std::size_t, std::string>> fused_projection(const std::string& name) {
  constexpr std::string_view kAttention = "attn.";
  const auto found = name.rfind(kAttention);
  if (found == std::string::npos) return std::nullopt;
  const auto attention = found + kAttention.size();
  const std::string_view rest = std::string_view(name).substr(attention);
  for (std::size_t i = 0; i < std::size(kFusedAttentionProjections); ++i) {
    const std::string_view part = kFusedAttentionProjections[i];
    if (!rest.starts_with(part)) continue;
    const std::string_view kind = rest.substr(part.size());
    if (kind == "weight" || kind == "bias") return std::pair{i, name.substr(0, attention) + "in_proj_" + std::string(kind)};
  }
  return std::nullopt;
}

// The entries from `first` on with OpenCLIP attentions' q, k and v projections become one
// in_proj entry each, read as the three stacked. A set missing a part stays apart, so that the
// in_proj tensor is reported missing.
void fuse_attention_projections(std::vector<RenamedTensors::Entry>& entries, std::size_t first) {
  using Entry = RenamedTensors::Entry;
  std::map<std::string, std::array<std::optional<Entry>, 3>> projections;  // by the in_proj name
  std::vector<Entry> added(std::make_move_iterator(entries.begin() + first), std::make_move_iterator(entries.end()));
  entries.resize(first);
  for (auto& entry : added) {
    if (const auto fused = fused_projection(entry.entry.name))
      projections[fused->second][fused->first] = std::move(entry);
    else
      entries.push_back(std::move(entry));
  }
  for (auto& [name, parts] : projections) {
    if (!parts[0] || !parts[1] || !parts[2]) {
      for (auto& part : parts)
        if (part) entries.push_back(std::move(*part));
      continue;
    }
    TensorEntry entry{name, parts[0]->entry.dtype, parts[0]->entry.shape};
    entry.shape[0] = parts[0]->entry.shape[0] + parts[1]->entry.shape[0] + parts[2]->entry.shape[0];
    entries.push_back({std::move(entry), {parts[0]->parts[0], parts[1]->parts[0], parts[2]->parts[0]}, stacked});
  }
}

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
      RenamedTensors::Entry added{entry, {{file, stored.name}}, nullptr};
      if (renamed.form == StoredForm::LinearForConv && entry.shape.size() == 2) {
        added.entry.shape.insert(added.entry.shape.end(), {1, 1});
      } else if (renamed.form == StoredForm::TransposedLinear && entry.shape.size() == 2) {
        std::swap(added.entry.shape[0], added.entry.shape[1]);
        added.combine = transposed;
      }
      entries.push_back(std::move(added));
    }
  }
  components.push_back(std::move(component));
}

// A text encoder stored as Hugging Face CLIP, under OpenCLIP's names.
void add_open_clip_component(std::vector<RenamedTensors::Entry>& entries, std::vector<Component>& components,
                             const fs::path& dir, const std::string& prefix) {
  const fs::path config = dir / "config.json";
  const std::size_t first = entries.size();
  add_component(entries, components, dir,
                {prefix, open_clip_key_map(field<int>(read_config(config), "num_hidden_layers", config)), {}}, "model",
                "pytorch_model");
  fuse_attention_projections(entries, first);
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

// Whether model_index.json lists component `name` ([library, class], not [null, null]).
bool lists_component(const json& index, const char* name) {
  const auto entry = index.find(name);
  return entry != index.end() && entry->is_array() && !entry->empty() && !entry->front().is_null();
}

// The text encoders by family: SDXL's base has text_encoder (CLIP ViT-L) and text_encoder_2
// (bigG), its refiner text_encoder_2 alone; SD1.x's CLIP ViT-L uses quick_gelu where SD2.x's
// ViT-H, converted to CLIPTextModel, uses gelu.
std::vector<TextComponent> text_components(const fs::path& folder) {
  const json index = read_config(folder / "model_index.json");
  if (lists_component(index, "text_encoder_2")) {
    if (lists_component(index, "text_encoder"))
      return {{"text_encoder", "conditioner.embedders.0.transformer.", false},
              {"text_encoder_2", "conditioner.embedders.1.model.", true}};
    return {{"text_encoder_2", "conditioner.embedders.0.model.", true}};
  }
  const fs::path config = folder / "text_encoder" / "config.json";
  const bool open_clip = fs::exists(config) && optional_field<std::string>(read_config(config), "hidden_act", config, "") == "gelu";
  return {{"text_encoder", open_clip ? "cond_stage_model.model." : "cond_stage_model.transformer.", open_clip}};
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

void read_text_config(TextEncoderInfo& encoder, const fs::path& path) {
  const json config = read_config(path);
  encoder.config.num_heads = optional_field(config, "num_attention_heads", path, encoder.config.num_heads);
  encoder.config.layer_norm_eps = optional_field(config, "layer_norm_eps", path, encoder.config.layer_norm_eps);
  encoder.config.quick_gelu = optional_field<std::string>(config, "hidden_act", path, "quick_gelu") == "quick_gelu";
  // diffusers' SD2.x text encoder ends at the block whose output SD2.x takes (its conversion
  // drops OpenCLIP's last block): the last block's output, normed.
  if (encoder.output == TextEncoderInfo::Output::HiddenNormed) encoder.hidden_layer = encoder.config.num_layers;
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
  // StableDiffusionPipeline, -XLPipeline, -Img2ImgPipeline, -InpaintPipeline…; not SD3's.
  const fs::path index = folder / "model_index.json";
  const auto pipeline = optional_field<std::string>(read_config(index), "_class_name", index, "");
  if (!pipeline.starts_with("StableDiffusion") || pipeline.starts_with("StableDiffusion3"))
    throw UnsupportedModel(index.string() + ": '" + pipeline + "' is not a Stable Diffusion 1.x, 2.x or XL pipeline");
  std::vector<RenamedTensors::Entry> entries;
  std::vector<Component> components;
  add_component(entries, components, folder / "unet",
                {"model.diffusion_model.", unet_names(folder / "unet" / "config.json"), {}}, "diffusion_pytorch_model",
                "diffusion_pytorch_model");
  add_component(entries, components, folder / "vae",
                {"first_stage_model.", vae_names(folder / "vae" / "config.json"), {}}, "diffusion_pytorch_model",
                "diffusion_pytorch_model");
  for (const auto& text : text_components(folder)) {
    if (text.open_clip)
      add_open_clip_component(entries, components, folder / text.folder, text.prefix);
    else
      add_component(entries, components, folder / text.folder, {text.prefix, KeyMap({}), {}}, "model", "pytorch_model");
  }
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
  for (const auto& text : text_components(folder))
    for (auto& encoder : info.text_encoders)
      if (encoder.prefix.starts_with(text.prefix)) read_text_config(encoder, folder / text.folder / "config.json");
  const fs::path vae_config = folder / "vae" / "config.json";
  info.vae.scale_factor = optional_field(read_config(vae_config), "scaling_factor", vae_config, info.vae.scale_factor);
  read_scheduler_config(info, folder / "scheduler" / "scheduler_config.json");
}

}  // namespace atelier
