#pragma once
// Pipelines over the tiny fixture checkpoint, each loaded once per test executable.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "core/pipeline/pipeline.h"
#include "support/fixtures.h"
#include "support/test_device.h"

namespace atelier::test {

inline Pipeline& tiny_pipeline() {
  static Pipeline pipeline(tiny_model_path(), test_device(), MemoryMode::Standard, test_precision());
  return pipeline;
}

inline Pipeline& tiny_low_memory_pipeline() {
  static Pipeline pipeline(tiny_model_path(), test_device(), MemoryMode::Low, test_precision());
  return pipeline;
}

// The largest difference of one channel of one pixel between two images of one size.
inline int max_channel_difference(const Image8& a, const Image8& b) {
  REQUIRE(a.rgb.size() == b.rgb.size());
  int largest = 0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) largest = std::max(largest, std::abs(a.rgb[i] - b.rgb[i]));
  return largest;
}

}  // namespace atelier::test
