#include "core/library/model_inspection.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/mapped_file.h"
#include "core/io/model_hashes.h"
#include "core/io/safetensors.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

std::string metadata(const SafetensorsHeader& header, const std::string& key) {
  const auto it = header.metadata.find(key);
  return it == header.metadata.end() ? std::string() : it->second;
}

bool ends_with_any(std::string_view name, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](std::string_view s) { return name.ends_with(s); });
}

// The input width of a LoRA's down matrix ([rank, in]); 0 when `entry` is not one.
std::int64_t down_input_width(const TensorEntry& entry) {
  if (!ends_with_any(entry.name, {".lora_down.weight", ".lora_A.weight"}) || entry.shape.size() < 2) return 0;
  return entry.shape[1];
}

ModelFamily family_of_context_width(std::int64_t width) {
  switch (width) {
    case 768: return ModelFamily::SD1;
    case 1024: return ModelFamily::SD2;
    case 2048: return ModelFamily::SDXLBase;
    default: return ModelFamily::Unknown;
  }
}

// A CLIP text encoder's width: ViT-L (SD1) or OpenCLIP ViT-H (SD2).
ModelFamily family_of_text_width(std::int64_t width) {
  return width == 768 ? ModelFamily::SD1 : width == 1024 ? ModelFamily::SD2 : ModelFamily::Unknown;
}

ModelFamily family_of_metadata(const SafetensorsHeader& header) {
  const std::string version = metadata(header, "ss_base_model_version");
  if (version.starts_with("sdxl_")) return ModelFamily::SDXLBase;
  if (version.starts_with("sd_v2")) return ModelFamily::SD2;
  if (version.starts_with("sd_v1")) return ModelFamily::SD1;
  if (metadata(header, "ss_v2") == "True") return ModelFamily::SD2;
  const std::string architecture = metadata(header, "modelspec.architecture");
  if (architecture.starts_with("stable-diffusion-xl-v1-base")) return ModelFamily::SDXLBase;
  if (architecture.starts_with("stable-diffusion-v2")) return ModelFamily::SD2;
  if (architecture.starts_with("stable-diffusion-v1")) return ModelFamily::SD1;
  return ModelFamily::Unknown;
}

// A network whose modules are LoHa / LoKr, or that LyCORIS's trainer wrote.
bool is_lycoris(const SafetensorsHeader& header) {
  if (metadata(header, "ss_network_module").starts_with("lycoris")) return true;
  return std::any_of(header.tensors.begin(), header.tensors.end(), [](const TensorEntry& entry) {
    const auto dot = entry.name.find('.');
    const std::string_view part = dot == std::string::npos ? std::string_view() : std::string_view(entry.name).substr(dot + 1);
    return part.starts_with("hada_") || part.starts_with("lokr_");
  });
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw FormatError(path.string() + ": cannot be read");
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw FormatError(path.string() + ": not a JSON object");
  return json;
}

bool has_component(const nlohmann::json& index, const std::string& name) {
  const auto it = index.find(name);
  return it != index.end() && it->is_array() && !it->empty() && !it->front().is_null();
}

void describe_checkpoint(ModelFacts& facts, const CheckpointInfo& info) {
  facts.family = info.family;
  facts.description = info.description();
  facts.default_size = default_size(info);
  facts.problem = info.unsupported_reason;
}

// The prediction a diffusers folder's scheduler config names.
Prediction diffusers_prediction(const fs::path& folder) {
  std::error_code ignored;
  const auto config = folder / "scheduler" / "scheduler_config.json";
  if (!fs::is_regular_file(config, ignored)) return Prediction::Epsilon;
  return read_json(config).value("prediction_type", std::string()) == "v_prediction" ? Prediction::V
                                                                                      : Prediction::Epsilon;
}

}  // namespace

ModelFamily network_family(const SafetensorsHeader& header) {
  if (const auto family = family_of_metadata(header); family != ModelFamily::Unknown) return family;
  std::int64_t context = 0, text = 0;
  for (const auto& entry : header.tensors) {
    if (entry.name.starts_with("lora_te2_")) return ModelFamily::SDXLBase;
    const std::int64_t width = down_input_width(entry);
    if (width == 0) continue;
    const bool cross_key = entry.name.find("attn2") != std::string::npos && entry.name.find("to_k") != std::string::npos;
    if (cross_key) context = width;
    if (entry.name.find("self_attn") != std::string::npos && !entry.name.starts_with("lora_unet")) text = width;
  }
  if (const auto family = family_of_context_width(context); family != ModelFamily::Unknown) return family;
  return family_of_text_width(text);
}

ModelFamily embedding_family(const SafetensorsHeader& header) {
  const auto& tensors = header.tensors;
  if (std::any_of(tensors.begin(), tensors.end(), [](const TensorEntry& e) { return e.name == "clip_g"; }))
    return ModelFamily::SDXLBase;
  const auto vectors = std::find_if(tensors.begin(), tensors.end(), [](const TensorEntry& e) { return e.name == "emb_params"; });
  const TensorEntry* entry = vectors != tensors.end() ? &*vectors : tensors.size() == 1 ? &tensors.front() : nullptr;
  if (!entry || entry->shape.empty()) return ModelFamily::Unknown;
  return family_of_text_width(entry->shape.back());
}

ModelFamily diffusers_family(const fs::path& folder) {
  const auto index_file = folder / "model_index.json";
  const auto index = read_json(index_file);
  const std::string pipeline = index.value("_class_name", std::string());
  if (pipeline.starts_with("StableDiffusionXL"))
    return has_component(index, "text_encoder") ? ModelFamily::SDXLBase : ModelFamily::SDXLRefiner;
  if (!pipeline.starts_with("StableDiffusion"))
    throw FormatError(index_file.string() + ": '" + pipeline + "' is not a Stable Diffusion pipeline");
  std::error_code ignored;
  const auto unet_config = folder / "unet" / "config.json";
  if (fs::is_regular_file(unet_config, ignored)) {
    const auto context = read_json(unet_config).value("cross_attention_dim", nlohmann::json());
    if (context.is_number_integer() && context.get<std::int64_t>() == 1024) return ModelFamily::SD2;
  }
  return ModelFamily::SD1;
}

ModelFacts inspect_model_file(ModelKind folder_kind, const fs::path& path) {
  ModelFacts facts;
  facts.kind = folder_kind;
  try {
    std::error_code ignored;
    if (fs::is_directory(path, ignored)) {
      CheckpointInfo info;
      info.family = diffusers_family(path);
      info.prediction = diffusers_prediction(path);
      info.prediction_from_config = true;
      describe_checkpoint(facts, info);
      try {
        inspect_checkpoint(path);
      } catch (const UnsupportedModel& refused) {  // a pipeline the folder loader does not take (SD3)
        facts.problem = refused.what();
      }
      return facts;
    }
    if (folder_kind == ModelKind::Checkpoint) {
      describe_checkpoint(facts, inspect_checkpoint(path));  // pickles by the restricted unpickler: nothing runs
      return facts;
    }
    if (!has_safetensors_extension(path)) return facts;
    const MappedFile file(path);
    const SafetensorsHeader header = parse_safetensors_header(file.bytes(), path.string());
    if (folder_kind == ModelKind::Lora || folder_kind == ModelKind::Lycoris) {
      if (is_lycoris(header)) facts.kind = ModelKind::Lycoris;
      facts.family = network_family(header);
      facts.alias = metadata(header, "ss_output_name");
    } else if (folder_kind == ModelKind::Embedding) {
      facts.family = embedding_family(header);
    }
  } catch (const std::exception& e) {
    facts.problem = e.what();
  }
  return facts;
}

}  // namespace atelier
