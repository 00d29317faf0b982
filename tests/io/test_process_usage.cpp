// What the benchmark reads from the operating system about this process.
#include <catch2/catch.hpp>

#include <vector>

#include "core/io/process_usage.h"

using namespace atelier;

TEST_CASE("the memory high-water mark starts again from what is resident now", "[io][usage]") {
  const double before = peak_rss_mb();
  {
    const std::vector<char> touched(std::size_t{256} << 20, 1);  // every page written
    CHECK(touched[std::size_t{200} << 20] == 1);
    CHECK(peak_rss_mb() >= before + 200);
  }
  // Freed (glibc unmaps a block this large), the mark stays where it was until it is reset.
  CHECK(peak_rss_mb() >= before + 200);
  REQUIRE(reset_peak_rss());
  CHECK(peak_rss_mb() < before + 100);
}

TEST_CASE("page faults and system time only grow", "[io][usage]") {
  const auto before = ProcessUsage::now();
  const std::vector<char> touched(std::size_t{64} << 20, 1);
  CHECK(touched[std::size_t{60} << 20] == 1);
  const auto used = ProcessUsage::now() - before;
  CHECK(used.minor_faults >= 32);  // 64 MB in 2 MB huge pages at the fewest
  CHECK(used.system_seconds >= 0);
  CHECK(used.major_faults >= 0);
}
