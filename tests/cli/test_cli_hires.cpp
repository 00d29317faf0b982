// atelier-cli generate's --hires-* options: A1111's hires fix from the command line, recorded and re-run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

using cli_test::run_cli;

std::vector<std::string> hires_args(const std::filesystem::path& output, std::vector<std::string> hires) {
  std::vector<std::string> args{"generate", "--model", tiny_model_path().string(), "--prompt", "a lighthouse",
                                "--steps", "2", "--width", "64", "--height", "64", "--seed", "42", "--rng", "cpu",
                                "--device", "cpu", "--output", output.string()};
  args.insert(args.end(), hires.begin(), hires.end());
  return args;
}

}  // namespace

TEST_CASE("generate --hires-*: a 128x128 image with A1111's hires fields, re-run exactly", "[cli][hires]") {
  TempDir dir;
  const auto output = dir / "hires.png";
  const auto made = run_cli(hires_args(output, {"--hires-scale", "2", "--hires-steps", "1", "--hires-denoise", "0.5",
                                                "--hires-upscaler", "Latent (nearest)", "--hires-prompt",
                                                "a lighthouse, storm"}));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const Image8 image = load_image(output);
  CHECK(image.width == 128);
  CHECK(image.height == 128);
  CHECK_THAT(cli_test::a1111_text(output),
             Catch::Contains("Size: 64x64") && Catch::Contains("Denoising strength: 0.5") &&
                 Catch::Contains("Hires prompt: \"a lighthouse, storm\", Hires upscale: 2, Hires steps: 1, "
                                 "Hires upscaler: Latent (nearest)"));

  const auto info = run_cli({"info", output.string(), "--json"});
  REQUIRE(info.exit_code == 0);
  const auto json = nlohmann::json::parse(info.out);
  CHECK(json["hires_fix"] == true);
  CHECK(json["hires_scale"] == 2.0);
  CHECK(json["hires_steps"] == 1);
  CHECK(json["hires_upscaler"] == "Latent (nearest)");
  CHECK(json["denoising_strength"] == 0.5);
  CHECK_FALSE(json.contains("hires_resize"));

  const auto again = dir / "again.png";
  const auto rerun = run_cli({"generate", "--from", output.string(), "--model", tiny_model_path().string(),
                              "--device", "cpu", "--output", again.string()});
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(load_image(again).rgb == image.rgb);
}

TEST_CASE("generate --hires-size WxH keeps the proportion for a side of 0", "[cli][hires]") {
  TempDir dir;
  const auto output = dir / "sized.png";
  const auto made = run_cli(hires_args(output, {"--hires-size", "0x96", "--hires-steps", "1", "--hires-upscaler",
                                                "Lanczos"}));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(load_image(output).width == 96);
  CHECK_THAT(cli_test::a1111_text(output),
             Catch::Contains("Denoising strength: 0.75") && Catch::Contains("Hires resize: 0x96, Hires steps: 1, "
                                                                             "Hires upscaler: Lanczos"));
  const auto info = run_cli({"info", output.string(), "--json"});
  CHECK(nlohmann::json::parse(info.out)["hires_resize"] == nlohmann::json::array({0, 96}));
}

TEST_CASE("generate --hires-*: bad values give one line naming them, exit code 2", "[cli][hires]") {
  TempDir dir;
  const auto output = dir / "bad.png";
  struct Case {
    std::vector<std::string> hires;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"--hires-scale", "0"}, "hires scale"},
      {{"--hires-scale", "two"}, "hires-scale"},
      {{"--hires-scale", "2", "--hires-size", "128x128"}, "not both"},
      {{"--hires-size", "128"}, "--hires-size '128'"},
      {{"--hires-size", "0x0"}, "--hires-size '0x0'"},
      {{"--hires-steps", "-2"}, "hires steps"},
      {{"--hires-denoise", "1.5"}, "denoising strength"},
      {{"--hires-denoise", "0"}, "denoising strength"},
      {{"--hires-upscaler", "4x-Nowhere"}, "4x-Nowhere"},
      {{"--hires-sampler", "Eulerish"}, "Eulerish"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    const auto result = run_cli(hires_args(output, c.hires));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(c.message));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(output));
  }
}
