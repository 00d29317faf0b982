#include "core/gallery/image_output.h"

#include <charconv>
#include <cstdio>
#include <regex>

#include "core/error.h"
#include "core/gallery/metadata_values.h"
#include "core/io/png.h"
#include "core/io/sha256.h"
#include "core/pipeline/inpaint_options.h"
#include "core/sampling/sampler_registry.h"

namespace atelier {
namespace {

// A1111 writes numbers without a trailing ".0" ("CFG scale: 7", "Denoising strength: 0.75"),
// and the shortest text that reads back as the same double, so the round trip is exact.
std::string number_text(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

// Lets an img2img result be matched to its source image later; empty when it cannot be read.
std::string init_image_hash(const std::filesystem::path& path) {
  try {
    return autov2_hash(path);
  } catch (const Error&) {
    return {};
  }
}

// A1111's txt2img init(): the hires fix's extra_generation_params, in its order; the sampler and
// prompts only where they differ from the first pass's.
template <typename Add>
void add_hires_fields(const GenerationParams& p, const SamplerChoice& first_pass, const Add& add) {
  if (!p.hires_sampler.empty()) {
    const auto choice = choose_sampler(p.hires_sampler, p.schedule);
    if (choice.sampler != first_pass.sampler || choice.schedule != first_pass.schedule)
      add("Hires sampler", p.hires_sampler);
  }
  if (!p.hires_prompt.empty() && p.hires_prompt != p.prompt) add("Hires prompt", p.hires_prompt);
  if (!p.hires_negative_prompt.empty() && p.hires_negative_prompt != p.negative_prompt)
    add("Hires negative prompt", p.hires_negative_prompt);
  if (p.hires_width == 0 && p.hires_height == 0) add("Hires upscale", number_text(p.hires_scale));
  else add("Hires resize", std::to_string(p.hires_width) + "x" + std::to_string(p.hires_height));
  if (p.hires_steps > 0) add("Hires steps", std::to_string(p.hires_steps));
  add("Hires upscaler", p.hires_upscaler);
}

// As A1111's StableDiffusionProcessingImg2Img.init writes them: "Mask mode" when inverted,
// "Mask blur" when it blurs, the area and its padding for "Only masked", "Masked content"
// unless "original". Outpainting borders are Atelier's own (its JSON chunk keeps them).
template <typename Add>
void add_inpainting_fields(const GenerationParams& p, const Add& add) {
  if (p.invert_mask) add("Mask mode", "Inpaint not masked");
  if (p.mask_blur > 0) add("Mask blur", std::to_string(p.mask_blur));
  if (p.inpaint_area == GenerationParams::InpaintArea::OnlyMasked) {
    add("Inpaint area", std::string(a1111_label(p.inpaint_area)));
    add("Masked area padding", std::to_string(p.masked_padding));
  }
  if (p.masked_content != GenerationParams::MaskedContent::Original)
    add("Masked content", std::string(to_string(p.masked_content)));
}

}  // namespace

A1111Parameters a1111_parameters(const GenerationParams& p) {
  const auto choice = choose_sampler(p.sampler, p.schedule);
  A1111Parameters out{p.prompt, p.negative_prompt, {}};
  auto add = [&](std::string key, std::string value) { out.fields.emplace_back(std::move(key), std::move(value)); };
  add("Steps", std::to_string(p.steps));
  add("Sampler", std::string(choice.sampler->name));
  if (choice.sampler->kind != SamplerKind::Timesteps) add("Schedule type", std::string(to_string(choice.schedule)));
  add("CFG scale", number_text(p.cfg_scale));
  add("Seed", std::to_string(p.seed));
  add("Size", std::to_string(p.width) + "x" + std::to_string(p.height));
  if (!p.model_hash.empty()) add("Model hash", p.model_hash);
  add("Model", p.model.stem().string());
  if (!p.vae_name.empty()) {
    if (!p.vae_hash.empty()) add("VAE hash", p.vae_hash);
    add("VAE", p.vae_name);
  }
  if (p.variation_strength != 0) {
    add("Variation seed", std::to_string(p.variation_seed));
    add("Variation seed strength", number_text(p.variation_strength));
  }
  if (p.seed_resize_from_width > 0 && p.seed_resize_from_height > 0)
    add("Seed resize from", std::to_string(p.seed_resize_from_width) + "x" + std::to_string(p.seed_resize_from_height));
  if (p.init_image || p.hires_fix) add("Denoising strength", number_text(p.denoising_strength));
  if (p.init_image) {
    add("Resize mode", std::string(to_string(p.resize_mode)));
    if (auto hash = init_image_hash(*p.init_image); !hash.empty()) add("Init image hash", hash);
  }
  if (p.clip_skip > 1) add("Clip skip", std::to_string(p.clip_skip));
  add("RNG", p.noise == NoiseKind::Nv ? "NV" : "CPU");
  if (p.tiling) add("Tiling", "True");
  if (p.quantize_timesteps) add("Quantized timesteps", "True");
  if (p.hires_fix) add_hires_fields(p, choice, add);
  // A1111's extra_generation_params, in the order it adds them: the inpainting settings that
  // differ from its defaults (img2img setup), the refiner as its CheckpointInfo.short_title
  // once it has taken over.
  if (p.mask || p.outpaint.any()) add_inpainting_fields(p, add);
  if (!p.lora_hashes.empty()) add("Lora hashes", format_name_hashes(p.lora_hashes));
  if (!p.ti_hashes.empty()) add("TI hashes", format_name_hashes(p.ti_hashes));
  if (p.refiner) {
    const std::string name = p.refiner->stem().string();
    add("Refiner", p.refiner_hash.empty() ? name : name + " [" + p.refiner_hash + "]");
    add("Refiner switch at", number_text(p.refiner_switch_at));
  }
  add("Version", "Atelier " ATELIER_VERSION);
  return out;
}

std::vector<std::filesystem::path> numbered_outputs(const std::filesystem::path& file, std::size_t count) {
  if (count == 1) return {file};
  std::vector<std::filesystem::path> paths;
  for (std::size_t i = 1; i <= count; ++i)
    paths.push_back(file.parent_path() / (file.stem().string() + "-" + std::to_string(i) + file.extension().string()));
  return paths;
}

std::vector<std::filesystem::path> sequential_outputs(const std::filesystem::path& dir,
                                                      const std::vector<GeneratedImage>& images) {
  std::vector<std::string> seeds;
  for (const auto& image : images) seeds.push_back(std::to_string(image.params.seed));
  return sequential_outputs(dir, seeds);
}

std::vector<std::filesystem::path> sequential_outputs(const std::filesystem::path& dir,
                                                      const std::vector<std::string>& suffixes) {
  std::filesystem::create_directories(dir);
  static const std::regex numbered(R"((\d+)-.*)");
  long next = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::smatch match;
    const auto name = entry.path().filename().string();
    if (std::regex_match(name, match, numbered)) next = std::max(next, std::stol(match[1].str().substr(0, 9)) + 1);
  }
  std::vector<std::filesystem::path> paths;
  for (const auto& suffix : suffixes) {
    char number[16];
    std::snprintf(number, sizeof number, "%05ld-", next++);
    paths.push_back(dir / (number + suffix + ".png"));
  }
  return paths;
}

std::vector<PngText> generated_image_texts(const GeneratedImage& image, const std::optional<RunInfo>& run) {
  return {{"parameters", format_a1111_parameters(a1111_parameters(image.params))},
          {std::string(kAtelierChunkKeyword), format_params_json(image.params, run)}};
}

void save_generated_image(const std::filesystem::path& path, const GeneratedImage& image,
                          const std::optional<RunInfo>& run) {
  write_png(path, image.image, generated_image_texts(image, run));
}

}  // namespace atelier
