#pragma once
// The process's memory as A1111's /sdapi/v1/memory reports it (psutil): resident size and the
// machine's total, read from /proc on Linux. The studio suggests a starter model by the total.
#include <optional>

namespace atelier {

struct RamUsage {
  double used = 0;   // bytes resident
  double total = 0;  // bytes of RAM in the machine
};

// nullopt where /proc cannot be read (not Linux).
std::optional<RamUsage> ram_usage();

}  // namespace atelier
