#pragma once
// The size A1111's hires fix upscales to (modules/processing.py, calculate_target_resolution).
#include "core/pipeline/generation_params.h"

namespace atelier {

// The first pass's size times hires_scale, truncated; or "resize to" hires_width x hires_height,
// where a side of 0 follows the first pass's aspect ratio and with both sides the image is
// upscaled to cover that size, then its latent cropped to it about the centre.
struct HiresSize {
  int upscale_width = 0, upscale_height = 0;  // what the first pass is upscaled to (hr_upscale_to_x/y)
  int crop_columns = 0, crop_rows = 0;        // latent columns / rows cut off then (truncate_x/y)
  int latent_width(int factor) const { return upscale_width / factor - crop_columns; }
  int latent_height(int factor) const { return upscale_height / factor - crop_rows; }
};

HiresSize hires_size(const GenerationParams& params, int latent_factor);

}  // namespace atelier
