// atelier-cli as a user runs it: exit codes, one-line messages, files written or not.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

using cli_test::run_cli;

using cli_test::read_all;

std::vector<std::string> generate_args(const std::filesystem::path& output) {
  return {"generate", "--model", tiny_model_path().string(), "--prompt", "a lighthouse", "--steps", "3",
          "--width", "64", "--height", "64", "--seed", "42", "--device", "cpu", "--output", output.string()};
}

bool one_line(const std::string& text) { return !text.empty() && text.find('\n') == text.size() - 1; }

}  // namespace

TEST_CASE("tokenize prints one 77-id chunk per line", "[cli]") {
  auto result = run_cli({"tokenize", "a photograph of an astronaut riding a horse"});
  REQUIRE(result.exit_code == 0);
  std::vector<int> expected = reference_json()["tokenizer"]["cases"][1]["ids77"];
  std::string line;
  for (int id : expected) {
    if (!line.empty()) line += ' ';
    line += std::to_string(id);
  }
  CHECK(result.out == line + "\n");
}

TEST_CASE("inspect describes the tiny model", "[cli]") {
  auto result = run_cli({"inspect", tiny_model_path().string()});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("family: SD1.x (epsilon)") && Catch::Contains("tensors: 432") &&
                             Catch::Contains("size: 18516324 bytes") && Catch::Contains("status: supported"));
}

TEST_CASE("generate writes a PNG with A1111 parameters", "[cli]") {
  TempDir dir;
  auto output = dir / "out.png";
  auto result = run_cli(generate_args(output));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(std::filesystem::exists(output));
  auto texts = read_png_texts(output);
  REQUIRE(texts.size() >= 1);
  CHECK(texts[0].keyword == "parameters");
  CHECK_THAT(texts[0].text, Catch::StartsWith("a lighthouse\nSteps: 3, Sampler: Euler a, Schedule type:") &&
                                Catch::Contains("Seed: 42, Size: 64x64, Model hash: ecc8770c46, Model: model"));
}

TEST_CASE("generate --low-memory writes the same image", "[cli]") {
  TempDir dir;
  auto standard = run_cli(generate_args(dir / "standard.png"));
  auto low_args = generate_args(dir / "low.png");
  low_args.push_back("--low-memory");
  auto low = run_cli(low_args);
  INFO(low.err);
  REQUIRE(standard.exit_code == 0);
  REQUIRE(low.exit_code == 0);
  const auto a = load_image(dir / "standard.png"), b = load_image(dir / "low.png");
  REQUIRE(a.rgb.size() == b.rgb.size());
  int largest = 0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) largest = std::max(largest, std::abs(a.rgb[i] - b.rgb[i]));
  CHECK(largest <= 1);
}

TEST_CASE("generate --mask repaints the white area only and records the mask blur", "[cli]") {
  TempDir dir;
  Image8 init{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 40)};
  Image8 mask{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 0)};
  for (int y = 0; y < 64; ++y)
    for (int x = 32; x < 64; ++x)
      for (int c = 0; c < 3; ++c) mask.rgb[(y * 64 + x) * 3 + c] = 255;
  write_png(dir / "init.png", init, {});
  write_png(dir / "mask.png", mask, {});
  auto args = generate_args(dir / "out.png");
  args.insert(args.end(), {"--init-image", (dir / "init.png").string(), "--mask", (dir / "mask.png").string(),
                           "--mask-blur", "2"});
  auto result = run_cli(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto texts = read_png_texts(dir / "out.png");
  REQUIRE(texts.size() == 2);
  CHECK_THAT(texts[0].text, Catch::Contains("Denoising strength: 0.75") && Catch::Contains(", Mask blur: 2, "));
  CHECK_THAT(texts[1].text, Catch::Contains("mask.png") && Catch::Contains("\"mask_blur\":2"));
  const Image8 out = load_image(dir / "out.png");
  CHECK(std::vector<std::uint8_t>(out.rgb.begin(), out.rgb.begin() + 3) == std::vector<std::uint8_t>{40, 40, 40});
  CHECK(out.rgb != init.rgb);
}

TEST_CASE("bad input gives one line, exit code 2 and no file", "[cli]") {
  TempDir dir;
  auto output = dir / "bad.png";
  auto truncated = dir / "truncated.png";
  {
    auto bytes = read_all(data_path("sd1-tiny/README.md"));
    std::ofstream(truncated) << "\x89PNG\r\n\x1a\n" << bytes.substr(0, 40);
  }
  auto tiny_png = dir / "tiny.png";
  write_png(tiny_png, Image8{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 255)}, {});
  struct Case {
    std::string what;
    std::vector<std::string> extra;
    std::string message;
  };
  std::vector<Case> cases{
      {"missing model", {"--model", "/nonexistent/model.safetensors"}, "/nonexistent/model.safetensors"},
      {"unsupported model", {"--model", data_path("sd1-tiny/reference.safetensors").string()}, "not a Stable Diffusion"},
      {"size not a multiple of 8", {"--width", "100"}, "multiple of 8"},
      {"unknown sampler", {"--sampler", "Eulerish"}, "Eulerish"},
      {"corrupt init image", {"--init-image", truncated.string()}, truncated.string()},
      {"init image that is not an image", {"--init-image", data_path("sd1-tiny/README.md").string()}, "README.md"},
      {"unknown option", {"--colour", "red"}, "--colour"},
      {"mask without an init image", {"--mask", tiny_png.string()}, "init image"},
      {"corrupt mask", {"--init-image", tiny_png.string(), "--mask", truncated.string()}, truncated.string()},
      {"refiner switch out of range", {"--refiner-switch", "1.5"}, "refiner switch"},
      {"seed resize size that is no size", {"--resize-seed-from", "512by512"}, "--resize-seed-from '512by512'"},
      {"seed resize size out of range", {"--resize-seed-from", "4x512"}, "resize seed from"},
      {"variation strength out of range", {"--variation-strength", "1.5"}, "variation strength"},
      {"missing refiner", {"--refiner", "/nonexistent/refiner.safetensors"}, "/nonexistent/refiner.safetensors"},
      {"refiner that is no model", {"--refiner", data_path("sd1-tiny/reference.safetensors").string()},
       "reference.safetensors"},
      {"half precision on the CPU", {"--precision", "half"}, "half precision needs CUDA or MPS"},
      {"unknown precision", {"--precision", "double"}, "unknown precision 'double'"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto args = generate_args(output);
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto result = run_cli(args);
    CHECK(result.exit_code == 2);
    CHECK(one_line(result.err));
    CHECK_THAT(result.err, Catch::Contains(c.message));
    CHECK_FALSE(std::filesystem::exists(output));
  }
}

TEST_CASE("SIGINT mid-run cancels and leaves no file", "[cli]") {
  TempDir dir;
  auto output = dir / "interrupted.png";
  auto args = generate_args(output);
  args[6] = "1000";  // --steps
  args.insert(args.end(), {"--batch-size", "16"});  // one long batch: nothing finished when interrupted
  pid_t pid = cli_test::start_cli(args, dir.path());
  // Long enough to be interrupted mid-run however slowly a busy machine loads the model.
  std::this_thread::sleep_for(std::chrono::seconds(8));
  kill(pid, SIGINT);
  auto result = cli_test::finish_cli(pid, dir.path());
  CHECK(result.exit_code == 130);
  CHECK_THAT(result.err, Catch::Contains("cancelled"));
  CHECK_FALSE(std::filesystem::exists(output));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    CHECK(entry.path().extension() == ".txt");  // only the captured output: no image, no temporary
}
