#pragma once
// One pipeline over the tiny fixture checkpoint, loaded once per test executable.
#include "core/pipeline/pipeline.h"
#include "support/fixtures.h"

namespace atelier::test {

inline Pipeline& tiny_pipeline() {
  static Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  return pipeline;
}

}  // namespace atelier::test
