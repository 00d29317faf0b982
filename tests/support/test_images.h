#pragma once
// Images the tests draw for themselves.
#include <cstdint>
#include <vector>

#include "core/io/image.h"

namespace atelier::test {

// Deterministic colourful pixels: every channel varies, so misplaced pixels show.
inline Image8 pattern(int width, int height) {
  Image8 image{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      auto* p = &image.rgb[(std::size_t(y) * width + x) * 3];
      p[0] = static_cast<std::uint8_t>(x * 13 + y * 7);
      p[1] = static_cast<std::uint8_t>(x * x + y * 3 + 50);
      p[2] = static_cast<std::uint8_t>(x * y + 90);
    }
  return image;
}

}  // namespace atelier::test
