// AUTOMATIC1111's `parameters` text, mapped as its parse_generation_parameters does
// (modules/infotext_utils.py).
#include <algorithm>
#include <cctype>
#include <tuple>
#include <type_traits>

#include "core/error.h"
#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"
#include "core/pipeline/inpaint_options.h"
#include "core/sampling/sigma_schedules.h"

namespace atelier {
namespace {

bool is_hires_key(std::string_view key) { return key.starts_with("Hires ") || key == "First pass size"; }

// Hashes compare in lowercase; A1111 has written both.
std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text;
}

// Applies one A1111 field to `metadata`; false when it is not one GenerationParams holds.
bool apply_field(ImageMetadata& metadata, const std::string& key, const std::string& value, bool hires) {
  GenerationParams& p = metadata.params;
  auto set_integer = [&](auto& field) {
    const auto number = parse_integer(value);
    if (number) field = static_cast<std::remove_reference_t<decltype(field)>>(*number);
    return number.has_value();
  };
  auto set_number = [&](double& field) {
    const auto number = parse_number(value);
    if (number) field = *number;
    return number.has_value();
  };
  if (key == "Steps") return set_integer(p.steps);
  if (key == "Seed") return set_integer(p.seed);
  if (key == "CFG scale") return set_number(p.cfg_scale);
  if (key == "Clip skip") return set_integer(p.clip_skip);
  // With hires fix, it is the second pass's strength, which Atelier does not run.
  if (key == "Denoising strength") return !hires && set_number(p.denoising_strength);
  if (key == "Model hash") {
    p.model_hash = lowercase(value);
    return true;
  }
  if (key == "Model") {
    p.model = value;
    return true;
  }
  if (key == "VAE hash") {
    p.vae_hash = lowercase(value);
    return true;
  }
  if (key == "VAE") {
    // A1111 names the file; a re-run looks it up by that name.
    p.vae = p.vae_name = value;
    return true;
  }
  auto set_size = [&](int& width, int& height) {
    const auto size = parse_size(value);
    if (size) std::tie(width, height) = *size;
    return size.has_value();
  };
  if (key == "Size") return set_size(p.width, p.height);
  if (key == "Seed resize from") return set_size(p.seed_resize_from_width, p.seed_resize_from_height);
  if (key == "Variation seed") return set_integer(p.variation_seed);
  if (key == "Variation seed strength") return set_number(p.variation_strength);
  if (key == "Sampler") {
    p.sampler = value;  // split below, once "Schedule type" is known
    return true;
  }
  if (key == "Schedule type") {
    const auto type = find_schedule_type(value);
    if (type) p.schedule = to_string(*type);
    return type.has_value();
  }
  if (key == "RNG") {
    // A1111's "GPU" is torch.randn on CUDA: the Philox numbers "NV" reproduces on any device.
    if (value == "CPU") p.noise = NoiseKind::Cpu;
    else if (value == "NV" || value == "GPU") p.noise = NoiseKind::Nv;
    else return false;
    return true;
  }
  if (key == "Quantized timesteps") {
    p.quantize_timesteps = value == "True";
    return true;
  }
  if (key == "Mask blur") return set_integer(p.mask_blur);
  if (key == "Mask mode") {
    p.invert_mask = value == "Inpaint not masked";
    return p.invert_mask || value == "Inpaint masked";
  }
  if (key == "Masked area padding") return set_integer(p.masked_padding);
  if (key == "Inpaint area" || key == "Masked content") {
    try {
      if (key == "Inpaint area") p.inpaint_area = parse_inpaint_area(value);
      else p.masked_content = parse_masked_content(value);
      return true;
    } catch (const InvalidArgument&) {
      return false;
    }
  }
  if (key == "Lora hashes" || key == "TI hashes") {
    (key == "Lora hashes" ? p.lora_hashes : p.ti_hashes) = parse_name_hashes(value);
    return true;
  }
  if (key == "Refiner") {
    // A1111's short_title: "name [hash]", or the name alone when the hash was never computed.
    const auto open = value.rfind(" [");
    const bool hashed = open != std::string::npos && value.ends_with(']');
    p.refiner = hashed ? value.substr(0, open) : value;
    p.refiner_hash = hashed ? lowercase(value.substr(open + 2, value.size() - open - 3)) : "";
    return true;
  }
  if (key == "Refiner switch at") return set_number(p.refiner_switch_at);
  return false;
}

}  // namespace

ImageMetadata metadata_from_a1111(const A1111Parameters& parameters, std::string source) {
  ImageMetadata metadata;
  metadata.source = std::move(source);
  metadata.params.prompt = parameters.prompt;
  metadata.params.negative_prompt = parameters.negative_prompt;
  const bool hires = std::any_of(parameters.fields.begin(), parameters.fields.end(),
                                 [](const auto& field) { return is_hires_key(field.first); });
  bool has_schedule = false;
  for (const auto& [key, value] : parameters.fields) {
    if (apply_field(metadata, key, value, hires)) {
      has_schedule = has_schedule || key == "Schedule type";
    } else {
      metadata.extra.emplace_back(key, value);
    }
  }

  GenerationParams& p = metadata.params;
  if (const auto names = a1111_sampler_names(p.sampler)) {
    // A legacy combined name ("DPM++ 2M Karras") brings its schedule, as A1111 1.9+ reads it.
    if (!has_schedule || names->sampler != p.sampler) p.schedule = names->schedule;
    p.sampler = names->sampler;
  } else {
    metadata.unmapped.emplace_back("sampler \"" + p.sampler + "\" is not one Atelier runs");
  }
  if (hires) metadata.unmapped.emplace_back("hires fix (Atelier re-runs the first pass only)");
  return metadata;
}

std::optional<ImageMetadata> read_a1111_metadata(const std::vector<PngText>& texts) {
  const std::string* text = find_text(texts, "parameters");
  if (!text) return std::nullopt;
  const A1111Parameters parameters = parse_a1111_parameters(*text);
  ImageMetadata metadata = metadata_from_a1111(parameters, "a1111");
  // A1111 leaves RNG out when it is its default, GPU.
  const bool has_rng = std::any_of(parameters.fields.begin(), parameters.fields.end(),
                                   [](const auto& field) { return field.first == "RNG"; });
  if (!has_rng && !parameters.fields.empty()) metadata.params.noise = NoiseKind::Nv;
  return metadata;
}

}  // namespace atelier
