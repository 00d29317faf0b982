// atelier-cli over the family fixtures in ATELIER_FIXTURES_DIR: SDXL with its refiner and an
// inpainting checkpoint, written, recorded and re-run; each family's default size.
#include <catch2/catch.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "core/io/safetensors.h"
#include "core/library/family_sizes.h"
#include "support/temp_dir.h"
#include "support/test_images.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::pattern;
using atelier::test::TempDir;

namespace {

std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(ATELIER_FIXTURES_DIR) / relative;
}

const std::filesystem::path kBase = fixture("sdxl-tiny/base.safetensors");
const std::filesystem::path kRefiner = fixture("sdxl-tiny/refiner.safetensors");
const std::filesystem::path kInpainting = fixture("inpaint-tiny/model.safetensors");

std::vector<std::string> refiner_args(const std::filesystem::path& output) {
  return {"generate", "--model", kBase.string(), "--refiner", kRefiner.string(), "--prompt", "a lighthouse",
          "--steps", "4", "--width", "64", "--height", "64", "--seed", "42", "--device", "cpu",
          "--output", output.string()};
}

}  // namespace

TEST_CASE("generate --refiner records the refiner as A1111 does and re-runs bit for bit", "[cli][sdxl]") {
  TempDir dir;
  const auto original = dir / "original.png";
  auto generated = run_cli(refiner_args(original), dir.path());
  INFO(generated.err);
  REQUIRE(generated.exit_code == 0);
  const std::string text = a1111_text(original);
  CHECK_THAT(text, Catch::Contains("Size: 64x64") && Catch::Contains("Model: base") &&
                       Catch::Matches("[\\s\\S]*Refiner: refiner \\[[0-9a-f]{10}\\], Refiner switch at: 0\\.8,[\\s\\S]*",
                                      Catch::CaseSensitive::Yes));
  const Image8 expected = load_image(original);

  SECTION("from our chunk, the refiner found by its recorded path") {
    auto rerun = run_cli({"generate", "--from", original.string(), "--output", (dir / "rerun.png").string()},
                         dir.path());
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);
    CHECK(a1111_text(dir / "rerun.png") == text);
  }
  SECTION("from A1111's text, the refiner named but not found: the error says which and how to give it") {
    std::vector<PngText> only_text{{"parameters", text}};
    write_png(dir / "a1111.png", expected, only_text);
    auto rerun = run_cli({"generate", "--from", (dir / "a1111.png").string(), "--model", kBase.string(),
                          "--output", (dir / "rerun.png").string()},
                         dir.path());
    CHECK(rerun.exit_code == 2);
    CHECK_THAT(rerun.err, Catch::Contains("refiner 'refiner' not found") && Catch::Contains("--refiner"));

    auto given = run_cli({"generate", "--from", (dir / "a1111.png").string(), "--model", kBase.string(), "--refiner",
                          kRefiner.string(), "--device", "cpu", "--output", (dir / "given.png").string()},
                         dir.path());
    INFO(given.err);
    REQUIRE(given.exit_code == 0);
    CHECK(load_image(dir / "given.png").rgb == expected.rgb);
  }
  SECTION("another switch point changes the result and its record") {
    auto args = refiner_args(dir / "switched.png");
    args.insert(args.end(), {"--refiner-switch", "0.5"});
    auto switched = run_cli(args, dir.path());
    INFO(switched.err);
    REQUIRE(switched.exit_code == 0);
    CHECK_THAT(a1111_text(dir / "switched.png"), Catch::Contains("Refiner switch at: 0.5,"));
    CHECK(load_image(dir / "switched.png").rgb != expected.rgb);
  }
}

TEST_CASE("generate refuses a bad refiner switch or refiner file before loading", "[cli][sdxl]") {
  TempDir dir;
  auto out_of_range = refiner_args(dir / "bad.png");
  out_of_range.insert(out_of_range.end(), {"--refiner-switch", "1.5"});
  auto result = run_cli(out_of_range, dir.path());
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("refiner switch"));

  auto missing = refiner_args(dir / "bad.png");
  missing[4] = (dir / "missing-refiner.safetensors").string();
  result = run_cli(missing, dir.path());
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("missing-refiner.safetensors"));
  CHECK_FALSE(std::filesystem::exists(dir / "bad.png"));
}

TEST_CASE("each family's default size, as A1111 users expect", "[cli][families]") {
  CHECK(default_size(inspect_checkpoint(SafetensorsFile(kBase))) == ImageSize{1024, 1024});
  CHECK(default_size(inspect_checkpoint(SafetensorsFile(kRefiner))) == ImageSize{1024, 1024});
  CHECK(default_size(inspect_checkpoint(SafetensorsFile(fixture("sd2-tiny/model-v.safetensors")))) ==
        ImageSize{768, 768});
  CHECK(default_size(inspect_checkpoint(SafetensorsFile(fixture("sd2-tiny/model-eps-fp16.safetensors")))) ==
        ImageSize{512, 512});
}

TEST_CASE("generate without --width and --height makes SDXL's 1024 x 1024", "[cli][sdxl]") {
  TempDir dir;
  auto result = run_cli({"generate", "--model", kBase.string(), "--prompt", "a lighthouse", "--steps", "1",
                         "--device", "cpu", "--output", (dir / "default.png").string()},
                        dir.path());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const Image8 image = load_image(dir / "default.png");
  CHECK(image.width == 1024);
  CHECK(image.height == 1024);
  CHECK_THAT(a1111_text(dir / "default.png"), Catch::Contains("Size: 1024x1024"));
}

TEST_CASE("an inpainting checkpoint's images re-run bit for bit from their PNGs", "[cli][inpaint]") {
  TempDir dir;
  write_png(dir / "init.png", pattern(64, 64), {});
  Image8 mask{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 0)};
  for (int y = 16; y < 40; ++y)
    for (int x = 24; x < 56; ++x) std::fill_n(&mask.rgb[(std::size_t(y) * 64 + x) * 3], 3, 255);
  write_png(dir / "mask.png", mask, {});
  const std::vector<std::string> txt2img{"generate", "--model", kInpainting.string(), "--prompt", "a red brick chimney",
                                         "--steps", "3", "--width", "64", "--height", "64", "--seed", "9",
                                         "--device", "cpu"};
  auto check_rerun = [&](std::vector<std::string> args, const std::string& recorded) {
    const auto original = dir / "original.png";
    args.insert(args.end(), {"--output", original.string()});
    const auto generated = run_cli(args, dir.path());
    INFO(generated.err);
    REQUIRE(generated.exit_code == 0);
    CHECK_THAT(a1111_text(original), Catch::Contains("Model: model") && Catch::Contains(recorded));
    const auto rerun = run_cli({"generate", "--from", original.string(), "--output", (dir / "rerun.png").string()},
                               dir.path());
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == load_image(original).rgb);
  };
  SECTION("txt2img: the image channels of a grey picture wholly repainted") { check_rerun(txt2img, "Size: 64x64"); }
  SECTION("a masked repaint of the init image, only the masked area at full size") {
    auto args = txt2img;
    args.insert(args.end(), {"--init-image", (dir / "init.png").string(), "--mask", (dir / "mask.png").string(),
                             "--mask-blur", "4", "--inpaint-area", "masked", "--masked-padding", "8",
                             "--strength", "0.8"});
    check_rerun(args, "Inpaint area: Only masked");
  }
}
