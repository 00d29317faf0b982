#include "core/gallery/image_metadata.h"

#include "core/gallery/metadata_readers.h"
#include "core/pipeline/inpaint_options.h"

namespace atelier {

const std::string* find_text(const std::vector<PngText>& texts, std::string_view keyword) {
  for (const PngText& text : texts) {
    if (text.keyword == keyword) return &text.text;
  }
  return nullptr;
}

std::string json_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string json_string(const nlohmann::json& object, std::string_view key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

ImageMetadata parse_image_metadata(const std::vector<PngText>& texts) {
  // Most specific first: ours and the JSON formats are unmistakable; sdcpp, Fooocus and Draw
  // Things must be told apart before the catch-all A1111 reader takes their `parameters` text.
  using Reader = std::optional<ImageMetadata> (*)(const std::vector<PngText>&);
  constexpr Reader kReaders[] = {read_atelier_metadata,   read_comfyui_metadata, read_invokeai_metadata,
                                 read_invokeai2_metadata, read_fooocus_metadata, read_sdcpp_metadata,
                                 read_drawthings_metadata, read_a1111_metadata};
  for (Reader reader : kReaders) {
    if (auto metadata = reader(texts)) return std::move(*metadata);
  }
  ImageMetadata none;
  for (const PngText& text : texts) none.extra.emplace_back(text.keyword, text.text);
  return none;
}

nlohmann::json to_json(const ImageMetadata& metadata) {
  const GenerationParams& p = metadata.params;
  nlohmann::json out{
      {"source", metadata.source},
      {"prompt", p.prompt},
      {"negative_prompt", p.negative_prompt},
      {"steps", p.steps},
      {"sampler", p.sampler},
      {"schedule", p.schedule},
      {"cfg_scale", p.cfg_scale},
      {"seed", p.seed},
      {"width", p.width},
      {"height", p.height},
      {"batch_size", p.batch_size},
      {"model", p.model.string()},
      {"model_hash", p.model_hash},
      {"clip_skip", p.clip_skip},
      {"denoising_strength", p.denoising_strength},
      {"rng", to_string(p.noise)},
      {"quantize_timesteps", p.quantize_timesteps},
      {"extra", nlohmann::json::object()},
      {"unmapped", metadata.unmapped},
  };
  if (p.init_image) out["init_image"] = p.init_image->string();
  if (p.mask) out["mask"] = p.mask->string();
  // A1111's own PNGs name no mask file, but their inpainting settings read back all the same.
  out["mask_blur"] = p.mask_blur;
  out["invert_mask"] = p.invert_mask;
  out["inpaint_area"] = to_string(p.inpaint_area);
  out["masked_padding"] = p.masked_padding;
  out["masked_content"] = to_string(p.masked_content);
  if (p.outpaint.any()) out["outpaint"] = to_string(p.outpaint);
  if (p.variation_strength != 0) {
    out["variation_seed"] = p.variation_seed;
    out["variation_strength"] = p.variation_strength;
  }
  if (p.seed_resize_from_width > 0 && p.seed_resize_from_height > 0)
    out["seed_resize_from"] = {p.seed_resize_from_width, p.seed_resize_from_height};
  if (p.hires_fix) {
    out["hires_fix"] = true;
    if (p.hires_width == 0 && p.hires_height == 0) out["hires_scale"] = p.hires_scale;
    else out["hires_resize"] = {p.hires_width, p.hires_height};
    out["hires_steps"] = p.hires_steps;
    out["hires_upscaler"] = p.hires_upscaler;
    if (!p.hires_sampler.empty()) out["hires_sampler"] = p.hires_sampler;
    if (!p.hires_prompt.empty()) out["hires_prompt"] = p.hires_prompt;
    if (!p.hires_negative_prompt.empty()) out["hires_negative_prompt"] = p.hires_negative_prompt;
  }
  if (!p.vae_name.empty()) {
    out["vae"] = p.vae;
    out["vae_name"] = p.vae_name;
    out["vae_hash"] = p.vae_hash;
  }
  if (p.refiner) {
    out["refiner"] = p.refiner->string();
    out["refiner_hash"] = p.refiner_hash;
    out["refiner_switch_at"] = p.refiner_switch_at;
  }
  for (const auto& [key, value] : metadata.extra) out["extra"][key] = value;
  if (metadata.run) {
    out["run"] = {{"device", metadata.run->device},
                  {"dtype", metadata.run->dtype},
                  {"elapsed_seconds", metadata.run->elapsed_seconds}};
  }
  return out;
}

ImageMetadata read_image_metadata(const std::filesystem::path& path) { return parse_image_metadata(read_png_texts(path)); }

}  // namespace atelier
