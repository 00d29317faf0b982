// Fooocus (modules/meta_parser.py): a `fooocus_scheme` chunk says how its `parameters` chunk is
// written: "fooocus", a sorted JSON object ({"prompt": ..., "guidance_scale": 4.0, "seed":
// "123", "resolution": "(1152, 896)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras",
// "base_model": ..., "base_model_hash": <SHA-256>, ...}), or "a1111", A1111's text.
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"

namespace atelier {
namespace {

using nlohmann::json;

ImageMetadata read_fooocus_json(const json& record) {
  ImageMetadata metadata;
  metadata.source = "fooocus";
  GenerationParams& p = metadata.params;
  for (const auto& [key, value] : record.items()) {
    const std::string text = json_text(value);
    bool mapped = true;
    if (key == "prompt") p.prompt = text;
    else if (key == "negative_prompt") p.negative_prompt = text;
    else if (key == "steps" && parse_integer(text)) p.steps = static_cast<int>(*parse_integer(text));
    else if (key == "guidance_scale" && parse_number(text)) p.cfg_scale = *parse_number(text);
    else if (key == "seed" && parse_integer(text)) p.seed = *parse_integer(text);
    else if (key == "clip_skip" && parse_integer(text)) p.clip_skip = static_cast<int>(*parse_integer(text));
    else if (key == "base_model") p.model = text;
    else if (key == "resolution" && parse_size(text)) std::tie(p.width, p.height) = *parse_size(text);
    else if (key == "sampler" && a1111_sampler_from_comfyui(text)) p.sampler = *a1111_sampler_from_comfyui(text);
    else if (key == "scheduler" && a1111_schedule_from_comfyui(text)) p.schedule = *a1111_schedule_from_comfyui(text);
    else mapped = false;
    // Fooocus records the whole SHA-256; A1111's model hash is its first 10 digits.
    if (key == "base_model_hash" && text.size() == 64) p.model_hash = text.substr(0, 10);
    if (!mapped) metadata.extra.emplace_back(key, text);
  }
  metadata.unmapped.emplace_back("Fooocus styles, prompt expansion and sharpness: a re-run is close, not identical");
  return metadata;
}

}  // namespace

std::optional<ImageMetadata> read_fooocus_metadata(const std::vector<PngText>& texts) {
  const std::string* parameters = find_text(texts, "parameters");
  if (!parameters) return std::nullopt;
  const std::string* scheme = find_text(texts, "fooocus_scheme");
  if (scheme && *scheme == "a1111") return metadata_from_a1111(parse_a1111_parameters(*parameters), "fooocus");
  // Without the scheme chunk, Fooocus's own fallback: a JSON object is its scheme.
  const json record = json::parse(*parameters, nullptr, false);
  if (!record.is_object()) return std::nullopt;
  return read_fooocus_json(record);
}

}  // namespace atelier
