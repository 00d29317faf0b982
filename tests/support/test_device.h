#pragma once
// Where the whole-run parity tests run: the CPU in full precision, unless ATELIER_TEST_DEVICE
// (cpu, cuda, mps) and ATELIER_TEST_PRECISION (full, half) say otherwise, as
// packaging/gpu-check.sh asks on a GPU machine.
#include <cstdlib>

#include "core/pipeline/device_policy.h"

namespace atelier::test {

inline DeviceChoice test_device() {
  const char* name = std::getenv("ATELIER_TEST_DEVICE");
  return name && *name ? parse_device_choice(name) : DeviceChoice::Cpu;
}

inline Precision test_precision() {
  const char* name = std::getenv("ATELIER_TEST_PRECISION");
  return name && *name ? parse_precision(name) : Precision::Full;
}

}  // namespace atelier::test
