#pragma once
// The image sizes a model family was trained at: where a new generation's size starts, as
// A1111 users expect (512 for SD1.x, 768 for SD2.x v-prediction, 1024 for SDXL).
#include "core/models/checkpoint.h"

namespace atelier {

struct ImageSize {
  int width = 0;
  int height = 0;

  friend bool operator==(const ImageSize&, const ImageSize&) = default;
};

// 512 x 512 for SD1.x, SD2.x ε (2.x base, inpainting) and unknown files; 768 x 768 for SD2.x
// v-prediction; 1024 x 1024 for SDXL base and refiner.
ImageSize default_size(const CheckpointInfo& info);

}  // namespace atelier
