#pragma once
// What the operating system counts for this process: system time, page faults, memory high-water
// mark and huge pages, so that a benchmark can say where time went besides computing.
#include <string>
#include <string_view>

namespace atelier {

struct ProcessUsage {
  double system_seconds = 0;
  long minor_faults = 0;  // pages mapped without reading the disk (first touch of memory)
  long major_faults = 0;  // pages read from the disk

  static ProcessUsage now();
  ProcessUsage operator-(const ProcessUsage& earlier) const;
  ProcessUsage divided_by(int runs) const;
};

// The resident high-water mark since the process started or the last reset_peak_rss()
// (VmHWM of /proc/self/status; getrusage's where that cannot be read).
double peak_rss_mb();
// Starts the high-water mark again from the memory resident now (Linux's clear_refs "5"), so
// that one stage's peak can be read; false where the kernel does not allow it.
bool reset_peak_rss();

// Memory now backed by transparent huge pages, in MB (AnonHugePages of /proc/self/smaps_rollup);
// 0 where it cannot be read.
double huge_pages_in_use_mb();

// The GLIBC_TUNABLES entry that has malloc advise huge pages (core/pipeline/device_policy.h sets it).
inline constexpr std::string_view kMallocHugePagesTunable = "glibc.malloc.hugetlb";

// The kernel's transparent huge page mode ("always", "madvise", "never") and whether malloc was
// told to advise them (glibc.malloc.hugetlb in GLIBC_TUNABLES), as one line for a report.
std::string huge_page_settings();

}  // namespace atelier
