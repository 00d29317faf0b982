#pragma once
// What A1111's img2img setup makes of an init image and a mask before sampling, in its order
// (modules/processing.py, StableDiffusionProcessingImg2Img.init), and how the sampled image is
// put back (apply_overlay): mask inverted and blurred, the overlay of the original taken, the
// image and mask fitted (whole picture) or cropped around the mask (only masked), then filled
// for the masked contents other than "original". Outpainting builds the canvas first.
#include <optional>

#include "core/io/image.h"
#include "core/pipeline/generation_params.h"
#include "core/pipeline/inpaint_area.h"

namespace atelier {

struct InpaintPlan {
  int width = 0, height = 0;  // the generation size
  Image8 image;  // the sampler's init image at the generation size (filled unless "original")
  Image8 mask;   // at the generation size, blurred: A1111's image_mask, 255 = repaint
  // The original and its mask_for_overlay, at the size the result is composited at.
  Image8 original;
  Image8 overlay_mask;
  std::optional<CropBox> paste_to;  // only masked: where the result goes back
  int output_width = 0, output_height = 0;  // the result (outpainting crops the padding away)
  // The size the image's parameters record: the generation size, except for outpainting over
  // the whole picture, the canvas (from which a re-run derives the generation size again).
  int recorded_width = 0, recorded_height = 0;
};

// Whether `params` inpaint: an init image with a mask or outpainting borders.
bool inpaints(const GenerationParams& params);

// Reads the init image and the mask of `params` (inpaints(params)). The generation size is
// params.width x params.height, except for outpainting over the whole picture: the canvas
// rounded up to a multiple of 8. InvalidArgument naming the flag for a mask of another size
// than the init image where the mode needs it, an empty mask with "only masked", a canvas
// outside 64..8192; FormatError naming an unreadable file.
InpaintPlan plan_inpainting(const GenerationParams& params);

// The sampled image (the generation size) resized back into the crop box when there is one,
// under the overlay of the original, cropped to the output size.
Image8 finish_inpainting(const Image8& generated, const InpaintPlan& plan);

}  // namespace atelier
