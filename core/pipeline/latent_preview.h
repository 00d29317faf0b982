#pragma once
// A cheap live preview: SD1 latents projected linearly to RGB, no VAE call.
#include <ATen/ATen.h>

#include "core/io/image.h"

namespace atelier {

// latent [4, h, w] (any device/dtype) -> an h x w RGB image (A1111's "Approx cheap" factors).
Image8 preview_image(const at::Tensor& latent);

}  // namespace atelier
