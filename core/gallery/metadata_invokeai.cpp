// InvokeAI's `invokeai_metadata` chunk (3.x and 4.x): one JSON object,
// {"positive_prompt": ..., "negative_prompt": ..., "width": 512, "height": 512, "seed": 1,
//  "cfg_scale": 7.5, "steps": 30, "scheduler": "dpmpp_2m_k", "model": {"name": ..., "hash": ...}}.
#include <array>
#include <nlohmann/json.hpp>

#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"

namespace atelier {
namespace {

using nlohmann::json;

// InvokeAI's SCHEDULER_NAME_VALUES (diffusers schedulers) beside A1111's legacy names; "_k"
// means Karras sigmas.
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kSchedulers{{
    {"ddim", "DDIM"},
    {"lms", "LMS"},
    {"lms_k", "LMS Karras"},
    {"heun", "Heun"},
    {"heun_k", "Heun Karras"},
    {"euler", "Euler"},
    {"euler_k", "Euler Karras"},
    {"euler_a", "Euler a"},
    {"kdpm_2", "DPM2"},
    {"kdpm_2_k", "DPM2 Karras"},
    {"kdpm_2_a", "DPM2 a"},
    {"kdpm_2_a_k", "DPM2 a Karras"},
    {"dpmpp_2m", "DPM++ 2M"},
    {"dpmpp_2m_k", "DPM++ 2M Karras"},
    {"dpmpp_2m_sde", "DPM++ 2M SDE"},
    {"dpmpp_2m_sde_k", "DPM++ 2M SDE Karras"},
    {"dpmpp_sde", "DPM++ SDE"},
    {"dpmpp_sde_k", "DPM++ SDE Karras"},
}};

}  // namespace

std::optional<ImageMetadata> read_invokeai_metadata(const std::vector<PngText>& texts) {
  const std::string* text = find_text(texts, "invokeai_metadata");
  if (!text) return std::nullopt;
  const json record = json::parse(*text, nullptr, false);
  if (!record.is_object()) return std::nullopt;

  ImageMetadata metadata;
  metadata.source = "invokeai";
  GenerationParams& p = metadata.params;
  for (const auto& [key, value] : record.items()) {
    const std::string text_value = json_text(value);
    bool mapped = true;
    if (key == "positive_prompt" && value.is_string()) p.prompt = value;
    else if (key == "negative_prompt" && value.is_string()) p.negative_prompt = value;
    else if (key == "width" && value.is_number_integer()) p.width = value;
    else if (key == "height" && value.is_number_integer()) p.height = value;
    else if (key == "seed" && value.is_number_integer()) p.seed = value;
    else if (key == "steps" && value.is_number_integer()) p.steps = value;
    else if (key == "cfg_scale" && value.is_number()) p.cfg_scale = value;
    else if (key == "clip_skip" && value.is_number_integer()) p.clip_skip = value.get<int>() + 1;  // 0: last layer
    else if (key == "strength" && value.is_number()) p.denoising_strength = value;
    else if (key == "rand_device" && value.is_string()) p.noise = value == "cuda" ? NoiseKind::Nv : NoiseKind::Cpu;
    else if (key == "model" && value.is_object()) {
      p.model = json_string(value, "name");
      if (p.model.empty()) p.model = json_string(value, "model_name");
      const std::string hash = json_string(value, "hash");
      // InvokeAI 4 hashes with BLAKE3 ("blake3:..."): not an A1111 model hash.
      if (!hash.empty()) metadata.extra.emplace_back("model hash", hash);
    } else if (key == "scheduler" && value.is_string()) {
      std::optional<SamplerNames> names;
      for (const auto& [invoke, a1111] : kSchedulers) {
        if (invoke == text_value) names = a1111_sampler_names(a1111);
      }
      if (names) {
        p.sampler = names->sampler;
        p.schedule = names->schedule;
      } else {
        mapped = false;
        metadata.unmapped.emplace_back("scheduler \"" + text_value + "\" has no A1111 name Atelier runs");
      }
    } else {
      mapped = false;
    }
    if (!mapped) metadata.extra.emplace_back(key, text_value);
  }
  metadata.unmapped.emplace_back("InvokeAI samples with diffusers schedulers: a re-run is close, not identical");
  return metadata;
}

}  // namespace atelier
