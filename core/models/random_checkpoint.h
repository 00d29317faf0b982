#pragma once
// Checkpoints with a real architecture and key layout but seeded random weights: no real
// weights ship with Atelier, and benchmarks and tests need models real in shape and cost.
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/models/checkpoint.h"
#include "core/models/model_config.h"

namespace atelier {

// The sizes of a checkpoint's networks, and where its text encoders are stored.
struct Architecture {
  UNetConfig unet;
  VaeConfig vae;
  std::vector<TextEncoderInfo> text_encoders;  // layout, prefix and sizes
  std::string yaml;  // a sidecar config to write beside the file ("" for none)
};

// The released models' sizes by family name: "sd15" (UNet 320 × [1, 2, 4, 4], CLIP ViT-L),
// "sd21v" (SD 2.1 768-v: OpenCLIP ViT-H, 64-wide heads, a v yaml), "sdxl" (UNet 320 ×
// [1, 2, 4] with depths [0, 2, 10], CLIP ViT-L + OpenCLIP bigG) and "sdxl-refiner" (384 ×
// [1, 2, 4, 4], bigG). InvalidArgument for another name.
Architecture released_architecture(std::string_view family);

// A checkpoint with one text encoder: CLIP ViT-L in SD1's place, for small test models.
TextEncoderInfo sd1_text_encoder(const ClipTextConfig& config);

// Writes `path` (atomically) with every tensor our loader reads for `architecture`, under the
// single-file checkpoint prefixes, stored as `dtype`, and its yaml beside it when it has one. Weights are normal with std
// 0.5/sqrt(fan_in) (embeddings 0.02), norms 1, biases 0, drawn from one generator seeded with
// `seed` in name order, so a seed always gives the same file. Tensors are made and written
// one at a time.
void write_random_checkpoint(const std::filesystem::path& path, const Architecture& architecture,
                             c10::ScalarType dtype, std::uint64_t seed);

}  // namespace atelier
