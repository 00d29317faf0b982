#pragma once
// A1111's variation seeds and "Resize seed from" (modules/rng.py, ImageRNG.first): the
// initial noise of each image slerped towards a second seed's noise, and noise drawn at
// another size centred in the latent, so a seed keeps its composition when the size changes.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "core/sampling/noise.h"

namespace atelier {

struct SeedVariation {
  std::vector<std::uint64_t> variation_seeds;  // one per image of the batch
  double strength = 0;                         // 0: no variation
  std::int64_t from_latent_height = 0;         // "Resize seed from" / 8; 0: off
  std::int64_t from_latent_width = 0;
};

// The batch's initial noise of `shape` [B, C, H, W]: without a variation or a resize exactly
// noise.randn(shape). Each image's own source is drawn from as A1111 draws from it, so the
// sampler's later draws continue its stream as they would there.
at::Tensor initial_noise(BatchNoise& noise, at::IntArrayRef shape, const SeedVariation& variation);

// A1111's slerp(val, low, high) of two [C, H, W] noises, with its particulars kept for the same
// numbers: the angle is taken per channel and column (norms over the rows), and when the two
// are nearly parallel (mean cosine > 0.9995) it returns low·val + high·(1 − val).
at::Tensor a1111_slerp(double val, const at::Tensor& low, const at::Tensor& high);

}  // namespace atelier
