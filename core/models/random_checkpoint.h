#pragma once
// Checkpoints with a real architecture and key layout but seeded random weights: no real
// weights ship with Atelier, and benchmarks and tests need models real in shape and cost.
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>

#include "core/models/model_config.h"

namespace atelier {

// The sizes of the three networks of an SD1.x checkpoint.
struct Sd1Architecture {
  UNetConfig unet;
  VaeConfig vae;
  ClipTextConfig clip;
};

// Stable Diffusion 1.5: UNet 320 channels × [1, 2, 4, 4], VAE 128 × [1, 2, 4, 4], CLIP ViT-L/14 text.
Sd1Architecture sd15_architecture();

// Writes `path` (atomically) with every tensor our loader reads for `architecture`, under the
// single-file checkpoint prefixes, stored as `dtype`. Weights are normal with std
// 0.5/sqrt(fan_in) (embeddings 0.02), norms 1, biases 0, drawn from one generator seeded with
// `seed` in name order, so a seed always gives the same file. Tensors are made and written
// one at a time.
void write_random_checkpoint(const std::filesystem::path& path, const Sd1Architecture& architecture,
                             c10::ScalarType dtype, std::uint64_t seed);

}  // namespace atelier
