#include "core/pipeline/inpaint_plan.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/pipeline/mask_ops.h"
#include "core/pipeline/masked_content.h"
#include "core/pipeline/outpaint.h"

namespace atelier {
namespace {

constexpr int kLatentFactor = 8;  // the generation size is a multiple of the VAE's factor
constexpr int kMinSide = 64, kMaxSide = 8192;

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// A1111's mask_for_overlay over the whole picture: clip(2 mask, 0, 255), so the original
// shows only where the blurred mask is below one half.
Image8 doubled(const Image8& mask) {
  Image8 out = mask;
  for (auto& value : out.rgb) value = static_cast<std::uint8_t>(std::min(2 * value, 255));
  return out;
}

int rounded_up(int side) { return (side + kLatentFactor - 1) / kLatentFactor * kLatentFactor; }

// The binary mask at the init image's size (black without a mask file), inverted on request.
Image8 user_mask(const GenerationParams& params, const Image8& init, bool needs_init_size) {
  if (!params.mask) return Image8{init.width, init.height, std::vector<std::uint8_t>(init.rgb.size(), 0)};
  Image8 mask = read_binary_mask(*params.mask);
  if (needs_init_size && (mask.width != init.width || mask.height != init.height))
    throw InvalidArgument("--mask " + params.mask->string() + " is " + size_text(mask.width, mask.height) +
                          " but the init image is " + size_text(init.width, init.height) +
                          "; with --inpaint-area masked or --outpaint the mask must be the init image's size");
  return params.invert_mask ? inverted_mask(mask) : mask;
}

}  // namespace

bool inpaints(const GenerationParams& params) { return params.init_image && (params.mask || params.outpaint.any()); }

InpaintPlan plan_inpainting(const GenerationParams& params) {
  const bool only_masked = params.inpaint_area == GenerationParams::InpaintArea::OnlyMasked;
  const bool outpainting = params.outpaint.any();
  Image8 init = load_image(*params.init_image);
  Image8 mask = user_mask(params, init, only_masked || outpainting);
  if (outpainting) {
    auto canvas = extend_canvas(init, mask, params.outpaint);
    init = std::move(canvas.image);
    mask = std::move(canvas.mask);
    if (init.width > kMaxSide || init.height > kMaxSide || (!only_masked && (init.width < kMinSide || init.height < kMinSide)))
      throw InvalidArgument("--outpaint: the canvas " + size_text(init.width, init.height) +
                            " (the init image plus the borders) must be between 64 and 8192 pixels a side");
  }
  mask = blurred_mask(mask, params.mask_blur);

  InpaintPlan plan;
  plan.width = params.width;
  plan.height = params.height;
  if (only_masked) {
    const auto found = mask_crop_box(mask, params.masked_padding);
    if (!found)
      throw InvalidArgument("--mask " + (params.mask ? params.mask->string() : std::string()) +
                            " is empty (all black): with --inpaint-area masked there is nothing to crop around");
    const CropBox box = expand_crop_box(*found, plan.width, plan.height, mask.width, mask.height);
    plan.image = resize_for_generation(cropped(init, box), plan.width, plan.height, ResizeMode::ResizeAndFill);
    plan.mask = resize_for_generation(cropped(mask, box), plan.width, plan.height, ResizeMode::ResizeAndFill);
    plan.paste_to = box;
    plan.output_width = init.width;
    plan.output_height = init.height;
    plan.overlay_mask = std::move(mask);  // the blurred mask itself, at the init image's size
    plan.original = std::move(init);
  } else {
    if (outpainting) {
      plan.output_width = init.width;
      plan.output_height = init.height;
      plan.width = rounded_up(init.width);
      plan.height = rounded_up(init.height);
      auto padded = padded_canvas({std::move(init), std::move(mask)}, plan.width, plan.height);
      plan.image = std::move(padded.image);
      plan.mask = std::move(padded.mask);
    } else {
      plan.image = resize_for_generation(init, plan.width, plan.height, params.resize_mode);
      plan.mask = resize_for_generation(mask, plan.width, plan.height, params.resize_mode);
      plan.output_width = plan.width;
      plan.output_height = plan.height;
    }
    plan.original = plan.image;
    plan.overlay_mask = doubled(plan.mask);
  }
  const bool canvas_sized = outpainting && !only_masked;
  plan.recorded_width = canvas_sized ? plan.output_width : plan.width;
  plan.recorded_height = canvas_sized ? plan.output_height : plan.height;
  if (params.masked_content != GenerationParams::MaskedContent::Original)
    plan.image = fill_masked_area(plan.image, plan.mask);
  return plan;
}

Image8 finish_inpainting(const Image8& generated, const InpaintPlan& plan) {
  const int width = plan.original.width, height = plan.original.height;
  RgbaImage base = plan.paste_to ? uncropped(generated, *plan.paste_to, width, height) : opaque(generated);
  const Image8 out = composite_original(std::move(base), plan.original, plan.overlay_mask);
  if (out.width == plan.output_width && out.height == plan.output_height) return out;
  return cropped(out, {0, 0, plan.output_width, plan.output_height});
}

}  // namespace atelier
