#pragma once
// Floating-point operations of one forward pass, counted analytically from the architecture:
// convolutions, linear layers and attention's two matmuls (a multiply-add is 2 FLOPs). Norms,
// activations and element-wise work are left out: they are a few percent and not BLAS-bound.
#include "core/models/model_config.h"

namespace atelier {

// One UNet evaluation of `batch` latents of latent_height × latent_width, with a context of
// `context_tokens` tokens.
double unet_flops(const UNetConfig& config, int batch, int latent_height, int latent_width, int context_tokens);

// Decoding one latent of latent_height × latent_width (post_quant_conv and the decoder).
double vae_decode_flops(const VaeConfig& config, int latent_height, int latent_width);

// Encoding `sequences` token sequences of the full max_positions length.
double text_encoder_flops(const ClipTextConfig& config, int sequences);

}  // namespace atelier
