#include "core/pipeline/generation_params.h"

#include "core/error.h"
#include "core/pipeline/hires_size.h"

namespace atelier {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw InvalidArgument(message);
}

void validate_hires_fix(const GenerationParams& p) {
  require(!p.init_image, "hires fix is a txt2img option: it cannot be combined with an init image");
  require(p.hires_scale > 0 && p.hires_scale <= 16, "hires scale must be above 0 and at most 16");
  require(p.hires_width >= 0 && p.hires_height >= 0, "hires size: each side must be 0 (follows the other) or more");
  require(p.hires_steps >= 0 && p.hires_steps <= 1000, "hires steps must be between 0 (the first pass's) and 1000");
  require(p.denoising_strength > 0, "hires fix needs a denoising strength above 0");
  require(!p.hires_upscaler.empty(), "no hires upscaler given");
  const HiresSize size = hires_size(p, 8);
  const int width = size.latent_width(8) * 8, height = size.latent_height(8) * 8;
  require(width >= 64 && height >= 64 && width <= 8192 && height <= 8192,
          "hires fix size " + std::to_string(width) + "x" + std::to_string(height) + " must be between 64 and 8192");
}

}  // namespace

std::string_view to_string(GenerationParams::VaeTiling tiling) {
  switch (tiling) {
    case GenerationParams::VaeTiling::On: return "on";
    case GenerationParams::VaeTiling::Off: return "off";
    case GenerationParams::VaeTiling::Auto: break;
  }
  return "auto";
}

GenerationParams::VaeTiling parse_vae_tiling(std::string_view name) {
  for (auto tiling : {GenerationParams::VaeTiling::Auto, GenerationParams::VaeTiling::On, GenerationParams::VaeTiling::Off})
    if (name == to_string(tiling)) return tiling;
  throw InvalidArgument("unknown VAE tiling '" + std::string(name) + "'; choose auto, on or off");
}

void validate(const GenerationParams& p) {
  // Outpainting over the whole picture samples the canvas: its size is checked once known.
  if (!p.outpaint.any() || p.inpaint_area == GenerationParams::InpaintArea::OnlyMasked) {
    require(p.width >= 64 && p.height >= 64 && p.width <= 8192 && p.height <= 8192,
            "size " + std::to_string(p.width) + "x" + std::to_string(p.height) + " must be between 64 and 8192");
    require(p.width % 8 == 0 && p.height % 8 == 0,
            "size " + std::to_string(p.width) + "x" + std::to_string(p.height) + " must be a multiple of 8");
  }
  require(p.steps >= 1 && p.steps <= 1000, "steps must be between 1 and 1000, got " + std::to_string(p.steps));
  require(p.cfg_scale >= 0 && p.cfg_scale <= 100, "CFG scale must be between 0 and 100");
  require(p.batch_count >= 1 && p.batch_count <= 1000, "batch count must be between 1 and 1000");
  require(p.batch_size >= 1 && p.batch_size <= 64, "batch size must be between 1 and 64");
  require(p.clip_skip >= 1 && p.clip_skip <= 12, "clip skip must be between 1 and 12");
  require(p.seed >= -1, "seed must be -1 (random) or a non-negative number");
  require(p.denoising_strength >= 0 && p.denoising_strength <= 1, "denoising strength must be between 0 and 1");
  require(p.variation_seed >= -1, "variation seed must be -1 (random) or a non-negative number");
  require(p.variation_strength >= 0 && p.variation_strength <= 1, "variation strength must be between 0 and 1");
  for (const int side : {p.seed_resize_from_width, p.seed_resize_from_height})
    require(side == 0 || (side >= 8 && side <= 8192), "resize seed from: each side must be 0 (off) or 8 to 8192 pixels");
  require(!p.model.empty(), "no model given");
  require(!p.mask || p.init_image, "a mask needs an init image");
  require(p.mask_blur >= 0 && p.mask_blur <= 64, "mask blur must be between 0 and 64 pixels");
  require(!p.invert_mask || p.mask, "--invert-mask needs a mask (--mask)");
  require(p.masked_padding >= 0 && p.masked_padding <= 256, "masked padding must be between 0 and 256 pixels");
  const auto& b = p.outpaint;
  require(!b.any() || p.init_image, "outpainting (--outpaint) needs an init image");
  require(b.left >= 0 && b.right >= 0 && b.top >= 0 && b.bottom >= 0 && b.left <= 4096 && b.right <= 4096 &&
              b.top <= 4096 && b.bottom <= 4096,
          "outpaint borders must be between 0 and 4096 pixels each");
  require(p.refiner_switch_at > 0 && p.refiner_switch_at <= 1, "refiner switch must be in (0, 1]");
  if (p.hires_fix) validate_hires_fix(p);
}

}  // namespace atelier
