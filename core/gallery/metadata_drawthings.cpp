// Draw Things keeps its parameters in XMP; exported as PNG text they are a `Comment` JSON
// object ({"c": prompt, "uc": negative, "seed": 1, "steps": 8, "scale": 1, "size": "1024x1024",
// "model": ..., "sampler": "UniPC Trailing", "strength": 1, "seed_mode": "Scale Alike", ...})
// and a `Description` text:
//   a picture of a cool dude
//   -a negative prompt
//   Steps: 8, Sampler: UniPC Trailing, Guidance Scale: 1.0, Seed: 3665757974, Size: 1024x1024,
//   Model: z_image_turbo_1.0_q6p.ckpt, Strength: 1.0, Seed Mode: Scale Alike, Shift: 3.0
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/gallery/metadata_readers.h"

namespace atelier {
namespace {

using nlohmann::json;

// The Comment JSON's keys under the names of the Description line, which A1111's mapping reads.
std::optional<A1111Parameters> from_comment(const std::string& text) {
  const json record = json::parse(text, nullptr, false);
  if (!record.is_object() || !record.contains("c")) return std::nullopt;
  A1111Parameters parameters;
  for (const auto& [key, value] : record.items()) {
    if (key == "c") parameters.prompt = json_text(value);
    else if (key == "uc") parameters.negative_prompt = json_text(value);
    else if (key == "steps") parameters.fields.emplace_back("Steps", json_text(value));
    else if (key == "scale") parameters.fields.emplace_back("Guidance Scale", json_text(value));
    else if (key == "seed") parameters.fields.emplace_back("Seed", json_text(value));
    else if (key == "size") parameters.fields.emplace_back("Size", json_text(value));
    else if (key == "model") parameters.fields.emplace_back("Model", json_text(value));
    else if (key == "sampler") parameters.fields.emplace_back("Sampler", json_text(value));
    else if (key == "strength") parameters.fields.emplace_back("Strength", json_text(value));
    else parameters.fields.emplace_back(key, json_text(value));
  }
  return parameters;
}

// The prompt lines, a "-" line that starts the negative prompt, and the settings line.
std::optional<A1111Parameters> from_description(const std::string& text) {
  const auto settings_begin = text.rfind('\n');
  if (settings_begin == std::string::npos) return std::nullopt;
  A1111Parameters parameters = parse_a1111_parameters(text.substr(settings_begin + 1));
  const bool is_drawthings = std::any_of(parameters.fields.begin(), parameters.fields.end(),
                                         [](const auto& field) { return field.first == "Guidance Scale"; });
  if (!is_drawthings) return std::nullopt;
  const std::string prompts = text.substr(0, settings_begin);
  const auto negative = prompts.starts_with('-') ? 0 : prompts.find("\n-");
  parameters.prompt = prompts.substr(0, negative);
  parameters.negative_prompt = negative == std::string::npos ? "" : prompts.substr(negative + (negative ? 2 : 1));
  return parameters;
}

}  // namespace

std::optional<ImageMetadata> read_drawthings_metadata(const std::vector<PngText>& texts) {
  std::optional<A1111Parameters> parameters;
  if (const std::string* comment = find_text(texts, "Comment")) parameters = from_comment(*comment);
  if (const std::string* description = find_text(texts, "Description"); description && !parameters) {
    parameters = from_description(*description);
  }
  if (!parameters) return std::nullopt;
  for (auto& [key, value] : parameters->fields) {
    if (key == "Guidance Scale") key = "CFG scale";
    if (key == "Strength") key = "Denoising strength";
  }
  ImageMetadata metadata = metadata_from_a1111(*parameters, "drawthings");
  metadata.unmapped.emplace_back("Draw Things' seed modes draw other noise than PyTorch: a re-run is not identical");
  return metadata;
}

}  // namespace atelier
