#pragma once
// VAE decode and encode in overlapping tiles, blended, so large images need bounded memory.
#include <ATen/ATen.h>

#include "core/models/vae.h"

namespace atelier {

struct TileLayout {
  int64_t tile = 64;     // latent pixels per tile side
  int64_t overlap = 16;  // latent pixels shared by neighbouring tiles, cross-faded
};

// Whether `auto` tiling applies: above 1024x1024 pixels of output.
bool tiling_needed(int64_t latent_height, int64_t latent_width);

// Unscaled latent [B, z, h, w] -> image [B, 3, 8h, 8w], decoded tile by tile.
at::Tensor decode_tiled(AutoencoderKL& vae, const at::Tensor& latent, TileLayout layout = {});

// Image [B, 3, H, W] -> posterior mean [B, z, H/8, W/8], encoded tile by tile.
at::Tensor encode_mean_tiled(AutoencoderKL& vae, const at::Tensor& image, TileLayout layout = {});

}  // namespace atelier
