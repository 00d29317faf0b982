#pragma once
// Pipelines over the tiny fixture checkpoint, each loaded once per test executable.
#include "core/pipeline/pipeline.h"
#include "support/fixtures.h"

namespace atelier::test {

inline Pipeline& tiny_pipeline() {
  static Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  return pipeline;
}

inline Pipeline& tiny_low_memory_pipeline() {
  static Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu, MemoryMode::Low);
  return pipeline;
}

}  // namespace atelier::test
