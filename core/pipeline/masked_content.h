#pragma once
// A1111's "Masked content" (modules/processing.py, StableDiffusionProcessingImg2Img.init): what
// the masked area starts from. "fill" and both latent modes first fill the image's masked
// area with masking.fill; the latent modes then replace the init latent inside the mask.
#include <ATen/ATen.h>

#include "core/io/image.h"
#include "core/pipeline/generation_params.h"

namespace atelier {

// A1111's masking.fill: the image outside `mask` (255 = masked), blurred with radii 256, 64,
// 16 (twice), 4 (four times), 2 (twice) and 0, each composited over the last, so the masked
// area takes the colours around it; Pillow's arithmetic throughout.
Image8 fill_masked_area(const Image8& image, const Image8& mask);

// The init latent as the sampler starts from it: latent noise keeps it where `repaint` (A1111's
// nmask, 1 = repaint) is 0 and takes `noise` where it is 1, latent nothing takes 0 there;
// fill and original keep it.
at::Tensor masked_init_latent(GenerationParams::MaskedContent content, const at::Tensor& init_latent,
                              const at::Tensor& repaint, const at::Tensor& noise);

}  // namespace atelier
