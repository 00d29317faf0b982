#include "core/io/process_usage.h"

#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace atelier {
namespace {

double seconds(const timeval& time) { return static_cast<double>(time.tv_sec) + time.tv_usec / 1e6; }

// The word between brackets in a sysfs choice list such as "always [madvise] never".
std::string chosen_mode(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!std::getline(file, line)) return "unknown";
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close < open ? line : line.substr(open + 1, close - open - 1);
}

std::string malloc_hugetlb_setting() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string name = std::string(kMallocHugePagesTunable) + "=";
  const std::string_view text = tunables ? tunables : "";
  const auto at = text.find(name);
  if (at == std::string_view::npos) return "off";
  const auto value = text.substr(at + name.size());
  return std::string(value.substr(0, value.find(':')));
}

}  // namespace

ProcessUsage ProcessUsage::now() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {seconds(usage.ru_stime), usage.ru_minflt, usage.ru_majflt};
}

ProcessUsage ProcessUsage::operator-(const ProcessUsage& earlier) const {
  return {system_seconds - earlier.system_seconds, minor_faults - earlier.minor_faults,
          major_faults - earlier.major_faults};
}

ProcessUsage ProcessUsage::divided_by(int runs) const {
  return {system_seconds / runs, minor_faults / runs, major_faults / runs};
}

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;  // "VmHWM:  123 kB"
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports kilobytes
}

bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

double huge_pages_in_use_mb() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    std::istringstream fields(line);
    std::string name;
    double kilobytes = 0;
    if (fields >> name >> kilobytes && name == "AnonHugePages:") return kilobytes / 1024.0;
  }
  return 0;
}

std::string huge_page_settings() {
  return "transparent huge pages " + chosen_mode("/sys/kernel/mm/transparent_hugepage/enabled") +
         ", glibc.malloc.hugetlb " + malloc_hugetlb_setting();
}

}  // namespace atelier
