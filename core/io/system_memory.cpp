#include "core/io/system_memory.h"

#include <fstream>
#include <string>

namespace atelier {
namespace {

// The kB value of `key:` in a /proc file of "key:   value kB" lines; 0 when absent.
double proc_kilobytes(const char* file, const std::string& key) {
  std::ifstream in(file);
  const std::string prefix = key + ":";
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size())) * 1024;
  return 0;
}

}  // namespace

std::optional<RamUsage> ram_usage() {
  const RamUsage usage{proc_kilobytes("/proc/self/status", "VmRSS"), proc_kilobytes("/proc/meminfo", "MemTotal")};
  if (usage.used <= 0 || usage.total <= 0) return std::nullopt;
  return usage;
}

}  // namespace atelier
