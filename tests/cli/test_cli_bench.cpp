// atelier-cli bench: the figures it reports beside the timings, and the runtime settings
// (huge pages for malloc) that the program relaunches itself with.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cli_runner.h"
#include "support/fixtures.h"
#include "support/scoped_env.h"

using namespace atelier;
using namespace atelier::test;

namespace {

nlohmann::json bench_tiny_model() {
  auto result = cli_test::run_cli({"bench", "--model", tiny_model_path().string(), "--width", "64", "--height", "64",
                                   "--steps", "1", "--repeats", "1", "--device", "cpu", "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

std::string malloc_huge_pages(const std::optional<std::string>& user_tunables,
                              const std::optional<std::string>& opt_out = std::nullopt) {
  ScopedEnv tunables("GLIBC_TUNABLES", user_tunables);
  ScopedEnv huge_pages("ATELIER_HUGE_PAGES", opt_out);
  const std::string settings = bench_tiny_model()["huge_page_settings"];
  return settings.substr(settings.rfind(' ') + 1);  // "…, glibc.malloc.hugetlb 1" → "1"
}

}  // namespace

TEST_CASE("the CLI relaunches with huge pages for malloc unless told otherwise", "[cli][bench]") {
  CHECK(malloc_huge_pages(std::nullopt) == "1");
  CHECK(malloc_huge_pages("glibc.malloc.arena_max=2") == "1");  // added beside the user's tunables
  CHECK(malloc_huge_pages("glibc.malloc.hugetlb=0") == "0");    // the user's own choice kept
  CHECK(malloc_huge_pages(std::nullopt, "0") == "off");         // ATELIER_HUGE_PAGES=0
}

TEST_CASE("bench --json reports system time, page faults and peak memory beside each stage", "[cli][bench]") {
  const auto figures = bench_tiny_model();
  for (const std::string stage : {"load", "text_encode", "unet_step", "vae_decode"}) {
    INFO(stage);
    CHECK(figures.at(stage + "_system_s").get<double>() >= 0);
    CHECK(figures.at(stage + "_minor_faults").get<long>() >= 0);
    CHECK(figures.at(stage + "_major_faults").get<long>() >= 0);
    // Each stage's own high-water mark; the overall peak is the highest of them.
    CHECK(figures.at(stage + "_peak_rss_mb").get<double>() > 0);
    CHECK(figures.at(stage + "_peak_rss_mb").get<double>() <= figures["peak_rss_mb"].get<double>());
  }
  // Loading maps the file and fills the weights: that faults pages in.
  CHECK(figures["load_minor_faults"].get<long>() > 0);
  CHECK(figures["peak_rss_mb"].get<double>() > 0);
  CHECK(figures["huge_pages_mb"].get<double>() >= 0);
  CHECK_THAT(figures["huge_page_settings"].get<std::string>(), Catch::StartsWith("transparent huge pages "));
}
