// atelier-cli generate's inpainting flags: --inpaint-area, --masked-padding, --masked-content,
// --invert-mask, --outpaint; recorded as A1111 writes them and re-run exactly from the PNG.
#include <catch2/catch.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"
#include "support/test_images.h"

using namespace atelier;
using namespace atelier::test;

namespace {

std::vector<std::string> inpaint_generate_args(const std::filesystem::path& init, const std::filesystem::path& output) {
  return {"generate", "--model", tiny_model_path().string(), "--prompt", "a lighthouse", "--steps", "3",
          "--sampler", "Euler", "--width", "64", "--height", "64", "--seed", "42", "--device", "cpu",
          "--init-image", init.string(), "--output", output.string()};
}

cli_test::Outcome run(const TempDir& dir, std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return cli_test::run_cli(args, dir.path());
}

// Generates the image again from its PNG and compares the pixels.
void check_rerun(const TempDir& dir, const std::filesystem::path& original) {
  const auto rerun = cli_test::run_cli({"generate", "--from", original.string(), "--output", (dir / "rerun.png").string()},
                                       dir.path());
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(load_image(dir / "rerun.png").rgb == load_image(original).rgb);
}

}  // namespace

TEST_CASE("generate --inpaint-area masked --masked-content fill: the init image's size, A1111's keys, re-run exact",
          "[cli][inpaint]") {
  TempDir dir;
  const Image8 init = pattern(80, 72);
  Image8 mask{80, 72, std::vector<std::uint8_t>(80 * 72 * 3, 255)};
  for (int y = 20; y < 40; ++y)
    for (int x = 30; x < 50; ++x) std::fill_n(&mask.rgb[(std::size_t(y) * 80 + x) * 3], 3, 0);
  write_png(dir / "init.png", init, {});
  write_png(dir / "mask.png", mask, {});
  const auto result = run(dir, inpaint_generate_args(dir / "init.png", dir / "out.png"),
                          {"--mask", (dir / "mask.png").string(), "--invert-mask", "--mask-blur", "2",
                           "--inpaint-area", "masked", "--masked-padding", "16", "--masked-content", "fill"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const Image8 out = load_image(dir / "out.png");
  CHECK(out.width == 80);
  CHECK(out.height == 72);
  CHECK(std::equal(out.rgb.begin(), out.rgb.begin() + 3, init.rgb.begin()));  // far from the mask
  CHECK_THAT(cli_test::a1111_text(dir / "out.png"),
             Catch::Contains("Size: 64x64") &&
                 Catch::Contains("Mask mode: Inpaint not masked, Mask blur: 2, Inpaint area: Only masked, "
                                 "Masked area padding: 16, Masked content: fill"));
  check_rerun(dir, dir / "out.png");
}

TEST_CASE("generate --outpaint: the image plus the borders exactly, kept pixel for pixel at blur 0, re-run exact",
          "[cli][inpaint][outpaint]") {
  TempDir dir;
  const Image8 init = pattern(60, 60);
  write_png(dir / "init.png", init, {});
  const auto result = run(dir, inpaint_generate_args(dir / "init.png", dir / "out.png"),
                          {"--outpaint", "4,12,0,8", "--mask-blur", "0", "--masked-content", "latent-noise"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const Image8 out = load_image(dir / "out.png");
  REQUIRE(out.width == 76);
  REQUIRE(out.height == 68);
  for (int y = 0; y < 60; ++y)
    REQUIRE(std::equal(&init.rgb[std::size_t(y) * 60 * 3], &init.rgb[std::size_t(y + 1) * 60 * 3],
                       &out.rgb[(std::size_t(y) * 76 + 4) * 3]));
  CHECK_THAT(cli_test::a1111_text(dir / "out.png"), Catch::Contains("Size: 76x68") && Catch::Contains("Masked content: latent noise"));
  check_rerun(dir, dir / "out.png");
}

TEST_CASE("bad inpainting flags give one line naming the flag and exit code 2", "[cli][inpaint]") {
  TempDir dir;
  write_png(dir / "init.png", pattern(64, 64), {});
  const auto base = inpaint_generate_args(dir / "init.png", dir / "out.png");
  for (const auto& [flag, value, expected] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"--outpaint", "1,2,3", "--outpaint '1,2,3'"},
                                                                      {"--outpaint", "1,2,3,-4", "left,right,top,bottom"},
                                                                      {"--masked-content", "glitter", "masked content"},
                                                                      {"--inpaint-area", "everywhere", "inpaint area"},
                                                                      {"--masked-padding", "999", "masked padding"}}) {
    INFO(flag << " " << value);
    const auto result = run(dir, base, {flag, value});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(expected));
    CHECK(result.err.find('\n') == result.err.size() - 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "out.png"));
}
