// atelier-cli with LoRAs and embeddings from their folders (sd1-tiny-networks): recorded as
// A1111 records them and re-run bit for bit; a network that is gone is named.
#include <catch2/catch.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::TempDir;

namespace {

std::filesystem::path networks(const std::string& relative) {
  return std::filesystem::path(ATELIER_FIXTURES_DIR) / "sd1-tiny-networks" / relative;
}

}  // namespace

TEST_CASE("LoRAs and an embedding from an A1111 library are recorded, re-run bit for bit, found again by hash",
          "[cli][addons]") {
  TempDir dir;
  // An A1111 install's folders, holding the fixture's files.
  const auto root = dir / "webui";
  std::filesystem::create_directories(root / "models" / "Lora");
  std::filesystem::create_directories(root / "embeddings");
  for (const char* file : {"tiny_lora.safetensors", "tiny_lora_diffusers.safetensors"})
    std::filesystem::copy_file(networks(std::string("lora/") + file), root / "models" / "Lora" / file);
  std::filesystem::copy_file(networks("embeddings/tinystyle.pt"), root / "embeddings" / "tinystyle.pt");

  const auto original = dir / "original.png";
  auto generated = run_cli({"generate", "--model", atelier::test::tiny_model_path().string(), "--library",
                            root.string(), "--prompt",
                            "tinystyle, a red fox <lora:tiny_lora:0.8> <lora:tiny_lora_diffusers:0.5:1.2>",
                            "--negative", "blurry", "--steps", "4", "--width", "64", "--height", "64", "--seed", "100",
                            "--device", "cpu", "--output", original.string()},
                           dir.path());
  INFO(generated.err);
  REQUIRE(generated.exit_code == 0);
  const std::string text = a1111_text(original);
  // The addnet hashes: sha256 of each file after its header (Python's hashlib).
  CHECK_THAT(text, Catch::Contains("Lora hashes: \"tiny_lora: 3ec40ca25616, tiny_lora_diffusers: eaa82a2b29f2\"") &&
                       Catch::Contains("TI hashes: \"tinystyle: 911d6c2425\""));
  const Image8 expected = load_image(original);
  const auto rerun = [&] {
    return run_cli({"generate", "--from", original.string(), "--library", root.string(), "--output",
                    (dir / "rerun.png").string()},
                   dir.path());
  };

  SECTION("from the PNG, with the same library") {
    auto again = rerun();
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);
    CHECK(a1111_text(dir / "rerun.png") == text);
  }
  SECTION("a network renamed since is found by its recorded hash") {
    std::filesystem::rename(root / "models" / "Lora" / "tiny_lora_diffusers.safetensors",
                            root / "models" / "Lora" / "renamed.safetensors");
    auto again = rerun();
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(load_image(dir / "rerun.png").rgb == expected.rgb);
  }
  SECTION("a network gone from the library is named") {
    std::filesystem::remove(root / "models" / "Lora" / "tiny_lora_diffusers.safetensors");
    auto again = rerun();
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Catch::Contains("LoRA not found: tiny_lora_diffusers"));
    CHECK_FALSE(std::filesystem::exists(dir / "rerun.png"));
  }
}

TEST_CASE("--lora-dir and --embeddings-dir add folders of their own", "[cli][addons]") {
  TempDir dir;
  auto generated = run_cli({"generate", "--model", atelier::test::tiny_model_path().string(), "--lora-dir",
                            networks("lora").string(), "--embeddings-dir", networks("embeddings").string(), "--prompt",
                            "glowfx, a fox <lora:tinycompvis:1>", "--steps", "2", "--width", "64", "--height", "64",
                            "--device", "cpu", "--output", (dir / "out.png").string()},
                           dir.path());
  INFO(generated.err);
  REQUIRE(generated.exit_code == 0);
  CHECK_THAT(a1111_text(dir / "out.png"),
             Catch::Contains("Lora hashes: \"tinycompvis: 6c14f1eaa7af\"") && Catch::Contains("TI hashes: \"glowfx: 789b55caf8\""));
}
