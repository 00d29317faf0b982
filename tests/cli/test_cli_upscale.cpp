// atelier-cli upscale end to end: sizes, the metadata kept and added as A1111's extras tab
// writes it, upscalers by name from the library, and refusals.
#include <catch2/catch.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "io/pickle_builder.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path data(const std::string& name) { return fs::path(ATELIER_TEST_DATA_DIR) / "upscalers" / name; }

const std::string kParameters =
    "a red fox\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24, Model: tiny";

// picture.png with an A1111 "parameters" chunk, as a generated image has.
fs::path source_image(const TempDir& dir) {
  const auto file = dir / "source.png";
  write_png(file, load_image(data("picture.png")), {{"parameters", kParameters}});
  return file;
}

std::string text(const fs::path& png, const std::string& keyword) {
  for (const auto& chunk : read_png_texts(png))
    if (chunk.keyword == keyword) return chunk.text;
  return {};
}

cli_test::Outcome upscale(const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> all{"upscale"};
  all.insert(all.end(), args.begin(), args.end());
  return cli_test::run_cli(all, dir.path());
}

}  // namespace

TEST_CASE("upscale with a model file keeps the parameters and adds A1111's postprocess fields", "[cli]") {
  TempDir dir;
  const auto out = dir / "big.png";
  const auto outcome = upscale({source_image(dir).string(), "--upscaler", data("srvgg_x4.pth").string(), "--scale",
                                "4", "--output", out.string()});
  INFO(outcome.err);
  REQUIRE(outcome.exit_code == 0);
  CHECK(outcome.out.find("128x96 from 32x24 with srvgg_x4 (SRVGGNetCompact x4") != std::string::npos);
  const Image8 image = load_image(out);
  CHECK(image.width == 128);
  CHECK(image.height == 96);
  CHECK(text(out, "parameters") == kParameters);
  CHECK(text(out, "postprocessing") == "Postprocess upscale by: 4, Postprocess upscaler: srvgg_x4");
  CHECK(text(out, "extras") == text(out, "postprocessing"));

  // Upscaled again: the fields are replaced, not repeated.
  const auto again = dir / "bigger.png";
  REQUIRE(upscale({out.string(), "--upscaler", "Lanczos", "--scale", "1.5", "--output", again.string()}).exit_code == 0);
  CHECK(load_image(again).width == 192);
  CHECK(load_image(again).height == 144);
  CHECK(text(again, "parameters") == kParameters);
  CHECK(text(again, "postprocessing") == "Postprocess upscale by: 1.5, Postprocess upscaler: Lanczos");
}

TEST_CASE("upscale finds a model by name in an A1111 install's models/ESRGAN", "[cli]") {
  TempDir dir;
  fs::create_directories(dir / "webui/models/Stable-diffusion");
  fs::create_directories(dir / "webui/models/ESRGAN");
  fs::copy_file(data("rrdb_x4_old.pth"), dir / "webui/models/ESRGAN/4x-Tiny.pth");
  const auto out = dir / "out.png";
  const auto outcome = upscale({source_image(dir).string(), "--library", (dir / "webui").string(), "--upscaler",
                                "4x-Tiny", "--scale", "2", "--tile", "16", "--output", out.string()});
  INFO(outcome.err);
  REQUIRE(outcome.exit_code == 0);
  CHECK(load_image(out).width == 64);  // the x4 model, then Lanczos down to x2
  CHECK(text(out, "postprocessing") == "Postprocess upscale by: 2, Postprocess upscaler: 4x-Tiny");
}

TEST_CASE("upscale refuses bad input with exit code 2, naming it, writing nothing", "[cli]") {
  TempDir dir;
  const auto source = source_image(dir);
  const auto out = dir / "out.png";
  const auto refused = [&](const std::vector<std::string>& args, const std::string& expected) {
    const auto outcome = upscale(args);
    INFO(outcome.err);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.err.find(expected) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
    return outcome;
  };
  refused({source.string(), "--upscaler", "4x-Nowhere", "--library", dir.path().string(), "--output", out.string()},
          "upscaler '4x-Nowhere' not found");
  refused({(dir / "missing.png").string(), "--upscaler", "Lanczos", "--output", out.string()}, "missing.png");
  refused({source.string(), "--upscaler", "Lanczos", "--output", (dir / "out.jpg").string()}, ".png");
  refused({source.string(), "--upscaler", "Lanczos", "--scale", "0", "--output", out.string()}, "positive");
  refused({source.string(), "--output", out.string()}, "usage");

  // A pickle whose state dict is os.system(...): refused by name, never run.
  const std::string marker = "ATELIER_UPSCALER_PAYLOAD_EXECUTED";
  test::PickleBuilder pickle;
  pickle.proto(2).op('}').unicode("params_ema").global("posix", "system");
  pickle.unicode("echo " + marker).byte(0x85).op('R').op('s').stop();
  const auto payload = dir / "4x-payload.pth";
  test::write_bytes(payload, test::make_zip({{"payload/data.pkl", pickle.bytes()}, {"payload/version", {'3', '\n'}}}));
  const auto outcome = refused({source.string(), "--upscaler", payload.string(), "--output", out.string()},
                               "'posix.system'");
  CHECK(outcome.err.find("4x-payload.pth") != std::string::npos);
  CHECK(outcome.out.find(marker) == std::string::npos);
  CHECK(outcome.err.find(marker) == std::string::npos);
}
