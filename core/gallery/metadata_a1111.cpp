// AUTOMATIC1111's `parameters` text, mapped as its parse_generation_parameters does
// (modules/infotext_utils.py).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <tuple>
#include <type_traits>

#include "core/error.h"
#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"
#include "core/pipeline/inpaint_options.h"
#include "core/sampling/sigma_schedules.h"

namespace atelier {
namespace {

// A1111's hires fix is on when its strength and a hires field are there (infotext_utils' paste field
// for enable_hr), "First pass size" being the one before 1.0.
bool hires_fix_on(const A1111Parameters& parameters) {
  bool strength = false, hires = false;
  for (const auto& [key, value] : parameters.fields) {
    strength = strength || key == "Denoising strength";
    hires = hires || key == "Hires upscale" || key == "Hires upscaler" || key == "Hires resize" ||
            key == "First pass size";
  }
  return strength && hires;
}

// A1111's old_hires_fix_first_pass_dimensions: about 512 x 512 pixels in the final proportion.
std::pair<int, int> old_first_pass_size(int width, int height) {
  const double scale = std::sqrt(512.0 * 512.0 / (static_cast<double>(width) * height));
  return {static_cast<int>(std::ceil(scale * width / 64)) * 64, static_cast<int>(std::ceil(scale * height / 64)) * 64};
}

// Before 1.0, "Size" was the final size and "First pass size" the first pass's (0x0: A1111 chose
// it), as restore_old_hires_fix_params converts it.
void restore_old_hires_fix(GenerationParams& p, std::string_view first_pass) {
  const auto size = parse_size(first_pass, 0);
  if (!size) return;
  auto [width, height] = *size;
  if (width == 0 || height == 0) std::tie(width, height) = old_first_pass_size(p.width, p.height);
  p.hires_width = p.width;
  p.hires_height = p.height;
  p.width = width;
  p.height = height;
}

// Hashes compare in lowercase; A1111 has written both.
std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text;
}

// Applies one A1111 field to `metadata`; false when it is not one GenerationParams holds.
bool apply_field(ImageMetadata& metadata, const std::string& key, const std::string& value) {
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
  // img2img's strength, or with hires fix the second pass's, as A1111 uses one field for both.
  if (key == "Denoising strength") return set_number(p.denoising_strength);
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
  auto set_size = [&](int& width, int& height, int smallest = 1) {
    const auto size = parse_size(value, smallest);
    if (size) std::tie(width, height) = *size;
    return size.has_value();
  };
  if (key == "Size") return set_size(p.width, p.height);
  if (key == "Seed resize from") return set_size(p.seed_resize_from_width, p.seed_resize_from_height);
  if (key == "Hires upscale") return set_number(p.hires_scale);
  if (key == "Hires resize") return set_size(p.hires_width, p.hires_height, 0);
  if (key == "Hires steps") return set_integer(p.hires_steps);
  if (key == "Hires upscaler" || key == "Hires sampler" || key == "Hires prompt" || key == "Hires negative prompt") {
    std::string& field = key == "Hires upscaler"  ? p.hires_upscaler
                         : key == "Hires sampler" ? p.hires_sampler
                         : key == "Hires prompt"  ? p.hires_prompt
                                                  : p.hires_negative_prompt;
    field = value;
    return true;
  }
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
  if (key == "Tiling") {
    p.tiling = value == "True";
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
  GenerationParams& p = metadata.params;
  p.hires_fix = hires_fix_on(parameters);
  bool has_schedule = false;
  std::string first_pass;  // "First pass size", converted once every field is read
  for (const auto& [key, value] : parameters.fields) {
    if (apply_field(metadata, key, value)) {
      has_schedule = has_schedule || key == "Schedule type";
    } else {
      metadata.extra.emplace_back(key, value);
      if (key == "First pass size") first_pass = value;
      else if (p.hires_fix && key.starts_with("Hires ")) metadata.unmapped.emplace_back("\"" + key + "\" of the hires fix");
    }
  }
  if (p.hires_fix && !first_pass.empty()) restore_old_hires_fix(p, first_pass);

  if (const auto names = a1111_sampler_names(p.sampler)) {
    // A legacy combined name ("DPM++ 2M Karras") brings its schedule, as A1111 1.9+ reads it.
    if (!has_schedule || names->sampler != p.sampler) p.schedule = names->schedule;
    p.sampler = names->sampler;
  } else {
    metadata.unmapped.emplace_back("sampler \"" + p.sampler + "\" is not one Atelier runs");
  }
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
