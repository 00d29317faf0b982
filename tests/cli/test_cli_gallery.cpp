// atelier-cli info, generate --from and gallery: an image's metadata read back and re-run
// exactly, and a folder listed in the order asked for.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::TempDir;
using atelier::test::tiny_model_path;

namespace {

std::vector<std::string> gallery_generate_args(const std::filesystem::path& output) {
  return {"generate", "--model", tiny_model_path().string(), "--prompt", "a lighthouse, at dusk",
          "--negative", "fog", "--steps", "3", "--width", "64", "--height", "64", "--seed", "3000000000",
          "--sampler", "DPM++ 2M", "--schedule", "Karras", "--device", "cpu", "--output", output.string()};
}

// The same pixels with only A1111's text, as if A1111 had written the file.
void keep_only_a1111_text(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::vector<PngText> kept;
  for (const auto& text : read_png_texts(from))
    if (text.keyword == "parameters") kept.push_back(text);
  write_png(to, load_image(from), kept);
}

// `generate --from` of `image` with only A1111's text left (so given the model), into `output`.
Outcome rerun_from_a1111_text(const std::filesystem::path& image, const TempDir& dir, const std::filesystem::path& output) {
  keep_only_a1111_text(image, dir / "a1111.png");
  return run_cli({"generate", "--from", (dir / "a1111.png").string(), "--model", tiny_model_path().string(), "--device",
                  "cpu", "--output", output.string()},
                 dir.path());
}

}  // namespace

TEST_CASE("info --json prints the parameters with snake_case keys and the source", "[cli][gallery]") {
  TempDir dir;
  const auto original = dir / "original.png";
  auto generated = run_cli(gallery_generate_args(original), dir.path());
  INFO(generated.err);
  REQUIRE(generated.exit_code == 0);

  auto info = run_cli({"info", original.string(), "--json"}, dir.path());
  INFO(info.err);
  REQUIRE(info.exit_code == 0);
  const auto json = nlohmann::json::parse(info.out);
  CHECK(json["source"] == "atelier");
  CHECK(json["prompt"] == "a lighthouse, at dusk");
  CHECK(json["negative_prompt"] == "fog");
  CHECK(json["steps"] == 3);
  CHECK(json["sampler"] == "DPM++ 2M");
  CHECK(json["schedule"] == "Karras");
  CHECK(json["cfg_scale"] == 7.0);
  CHECK(json["seed"] == 3000000000);
  CHECK(json["width"] == 64);
  CHECK(json["height"] == 64);
  CHECK(json["model_hash"] == "ecc8770c46");
  CHECK(json["clip_skip"] == 1);
  CHECK(json["run"]["device"] == "cpu");
  CHECK(json.contains("denoising_strength"));
  CHECK(json["extra"].is_object());

  keep_only_a1111_text(original, dir / "a1111.png");
  auto a1111 = run_cli({"info", (dir / "a1111.png").string(), "--json"}, dir.path());
  REQUIRE(a1111.exit_code == 0);
  const auto a1111_json = nlohmann::json::parse(a1111.out);
  CHECK(a1111_json["source"] == "a1111");
  CHECK(a1111_json["model"] == "model");
  CHECK(a1111_json["extra"]["Version"] == "Atelier " ATELIER_VERSION);

  auto text = run_cli({"info", original.string()}, dir.path());
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("source: atelier") && Catch::Contains("prompt: a lighthouse, at dusk"));
}

TEST_CASE("info reports a broken file in one line", "[cli][gallery]") {
  TempDir dir;
  std::ofstream(dir / "fake.png") << "not a png at all";
  auto result = run_cli({"info", (dir / "fake.png").string()}, dir.path());
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("fake.png"));
}

TEST_CASE("generate --from re-runs an image bit for bit, from ours and from A1111's text", "[cli][gallery]") {
  TempDir dir;
  const auto original = dir / "original.png";
  REQUIRE(run_cli(gallery_generate_args(original), dir.path()).exit_code == 0);
  const Image8 expected = load_image(original);

  SECTION("from our chunk, the model found by its recorded path") {
    auto rerun = run_cli({"generate", "--from", original.string(), "--output", (dir / "rerun.png").string()},
                         dir.path());
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);
  }
  SECTION("from A1111's text, given the matching model") {
    auto rerun = rerun_from_a1111_text(original, dir, dir / "rerun.png");
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);
  }
  SECTION("an override changes the result") {
    auto rerun = run_cli({"generate", "--from", original.string(), "--seed", "7", "--output",
                          (dir / "rerun.png").string()},
                         dir.path());
    REQUIRE(rerun.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb != expected.rgb);
  }
  SECTION("A1111's text alone names no model file: the error says to give one") {
    keep_only_a1111_text(original, dir / "a1111.png");
    auto rerun = run_cli({"generate", "--from", (dir / "a1111.png").string(), "--output",
                          (dir / "rerun.png").string()},
                         dir.path());
    CHECK(rerun.exit_code == 2);
    CHECK_THAT(rerun.err, Catch::Contains("ecc8770c46") && Catch::Contains("--model"));
  }
}

TEST_CASE("a variation image re-runs bit for bit, from ours and from A1111's text", "[cli][gallery][variation]") {
  TempDir dir;
  const auto original = dir / "variation.png";
  auto args = gallery_generate_args(original);
  for (const char* extra : {"--variation-seed", "123456", "--variation-strength", "0.35", "--resize-seed-from", "48x56"})
    args.emplace_back(extra);
  auto made = run_cli(args, dir.path());
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const Image8 expected = load_image(original);
  const auto plain = dir / "plain.png";
  REQUIRE(run_cli(gallery_generate_args(plain), dir.path()).exit_code == 0);
  CHECK(load_image(plain).rgb != expected.rgb);  // the variation changed the image

  auto ours = run_cli({"generate", "--from", original.string(), "--output", (dir / "rerun.png").string()}, dir.path());
  INFO(ours.err);
  REQUIRE(ours.exit_code == 0);
  CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);

  auto theirs = rerun_from_a1111_text(original, dir, dir / "rerun-a1111.png");
  INFO(theirs.err);
  REQUIRE(theirs.exit_code == 0);
  CHECK(load_image(dir / "rerun-a1111.png").rgb == expected.rgb);
}

TEST_CASE("gallery list --sort orders by file name or size", "[cli][gallery]") {
  TempDir dir;
  const auto images = dir / "images";
  std::filesystem::create_directories(images);
  for (const auto& [name, width] : {std::pair{"b.png", 32}, {"c.png", 16}, {"a.png", 8}}) {
    write_png(images / name, Image8{width, 8, std::vector<std::uint8_t>(static_cast<std::size_t>(width * 8 * 3), 0)},
              {{"parameters", std::string(name) + "\nSteps: 1, Seed: 2, Size: 8x8"}});
  }
  // The file names, one a line, in the order listed.
  auto listed = [&](const std::string& sort) {
    const auto result = run_cli({"gallery", "list", images.string(), "--sort", sort}, dir.path());
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::vector<std::string> names;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);)
      names.push_back(std::filesystem::path(line.substr(0, line.find('\t'))).filename().string());
    return names;
  };
  CHECK(listed("name") == std::vector<std::string>{"a.png", "b.png", "c.png"});
  CHECK(listed("largest") == std::vector<std::string>{"b.png", "c.png", "a.png"});

  const auto unknown = run_cli({"gallery", "list", images.string(), "--sort", "random"}, dir.path());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("--sort takes newest, oldest, name or largest"));
}
