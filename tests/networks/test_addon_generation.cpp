// Whole generations with `<lora:…>` tags and embedding words (sd1-tiny-networks section 6c),
// through the pipeline and the add-on folders as a user has them.
#include <catch2/catch.hpp>

#include "addon_fixture.h"
#include "core/error.h"
#include "core/pipeline/pipeline.h"
#include "support/parity.h"
#include "support/temp_dir.h"

#include <fstream>

using namespace atelier;
using namespace atelier::test;

namespace {

std::unique_ptr<Pipeline> pipeline_with_addons(MemoryMode memory) {
  auto made = std::make_unique<Pipeline>(tiny_model_path(), DeviceChoice::Cpu, memory);
  made->set_addon_folders(std::make_shared<const AddonFolders>(
      AddonFolderLists{{networks_fixture().path("lora")}, {networks_fixture().path("embeddings")}, {}, {}}));
  return made;
}

// The first half of `file`, as a download cut short leaves it.
void write_half_of(const std::filesystem::path& file, const std::filesystem::path& to) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::ofstream(to, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
}

Pipeline& addon_pipeline() {
  static const auto pipeline = pipeline_with_addons(MemoryMode::Standard);
  return *pipeline;
}

}  // namespace

TEST_CASE("generations with networks and embeddings match A1111's", "[addons][generation]") {
  for (const auto& c : networks_fixture().json()["sampling"]["cases"]) {
    const std::string name = c["name"];
    INFO(name << ": " << c["prompt"].get<std::string>());
    auto params = case_params(c, tiny_model_path());
    const auto results = addon_pipeline().generate(params);
    REQUIRE(results.size() == 1);
    CHECK(relative_error(results[0].latent, networks_fixture()(c["latent"])) < 1e-3);
    CHECK(fraction_within_one_level(results[0].image, networks_fixture().raw(c["image_u8_hwc"])) >= 0.999);
    CHECK(results[0].params.prompt == c["prompt"].get<std::string>());
    CHECK(results[0].params.lora_hashes.size() == c["networks"].size());
  }
}

TEST_CASE("low-memory generations take the networks as the weights stream in, and let them go after",
          "[addons][generation][low-memory]") {
  const auto low = pipeline_with_addons(MemoryMode::Low);
  for (const auto& c : networks_fixture().json()["sampling"]["cases"]) {
    INFO(c["name"].get<std::string>() << ": " << c["prompt"].get<std::string>());
    const auto result = low->generate(case_params(c, tiny_model_path())).at(0);
    CHECK(relative_error(result.latent, networks_fixture()(c["latent"])) < 1e-3);
  }
  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "a fox <lora:tiny_lokr:1> <lora:tiny_lora:0.5>";
  const auto with_networks = low->generate(params).at(0);
  params.prompt = "a fox";
  const auto after = low->generate(params).at(0);
  CHECK_FALSE(at::equal(with_networks.latent, after.latent));
  const auto fresh = pipeline_with_addons(MemoryMode::Low)->generate(params).at(0);
  CHECK(at::equal(after.latent, fresh.latent));
}

TEST_CASE("the infotext of a generation names its networks and embeddings with their hashes", "[addons][generation]") {
  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "tinystyle, a fox <lora:tinycompvis:0.5> <lora:tiny_lora:1>";
  params.negative_prompt = "glowfx";
  const auto result = addon_pipeline().generate(params).at(0);
  using Hashes = std::vector<std::pair<std::string, std::string>>;
  // sha256 of each file after its header (Python's hashlib over bytes 8 + n to the end).
  CHECK(result.params.lora_hashes == Hashes{{"tinycompvis", "6c14f1eaa7af"}, {"tiny_lora", "3ec40ca25616"}});
  CHECK(result.params.ti_hashes == Hashes{{"tinystyle", "911d6c2425"}, {"glowfx", "789b55caf8"}});
}

TEST_CASE("a network the folders do not have is refused by name", "[addons][generation]") {
  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "a fox <lora:tiny_lora:1> <lora:missing_one:1>";
  CHECK_THROWS_WITH(addon_pipeline().generate(params), Catch::Contains("missing_one") && !Catch::Contains("tiny_lora"));
}

TEST_CASE("a damaged network file stops the generation naming the file; the model is left as it was",
          "[addons][generation]") {
  atelier::test::TempDir dir;
  write_half_of(networks_fixture().path("lora/tiny_lora.safetensors"), dir / "broken.safetensors");
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(
      AddonFolderLists{{dir.path(), networks_fixture().path("lora")}, {}, {}, {}}));

  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "a fox <lora:tiny_lora:1> <lora:broken:1>";
  CHECK_THROWS_AS(pipeline.generate(params), FormatError);
  CHECK_THROWS_WITH(pipeline.generate(params), Catch::Contains((dir / "broken.safetensors").string()));
  params.prompt = "a fox";
  const auto after = pipeline.generate(params).at(0);
  const auto fresh = addon_pipeline().generate(params).at(0);
  CHECK(at::equal(after.latent, fresh.latent));
}

TEST_CASE("an embedding file that cannot be read leaves its word as text, and the run says so", "[addons][generation]") {
  atelier::test::TempDir dir;
  write_half_of(networks_fixture().path("embeddings/tinystyle.pt"), dir / "Broken_Style.pt");
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(
      AddonFolderLists{{}, {dir.path(), networks_fixture().path("embeddings")}, {}, {}}));

  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "a fox, (broken_style:1.2), tinystyle";
  const auto result = pipeline.generate(params).at(0);
  REQUIRE(result.notes.size() == 1);
  CHECK_THAT(result.notes[0], Catch::Contains("Broken_Style") && Catch::Contains((dir / "Broken_Style.pt").string()));
  CHECK(result.params.ti_hashes.size() == 1);  // tinystyle still works
  // As A1111: the same image as with no such file at all.
  const auto without = addon_pipeline().generate(params).at(0);
  CHECK(at::equal(result.latent, without.latent));
  CHECK(without.notes.empty());

  params.prompt = "a fox, broken_styles, unbroken_style";  // other words
  CHECK(pipeline.generate(params).at(0).notes.empty());
}

TEST_CASE("a network removed after its folder was listed is reported missing by name", "[addons][generation]") {
  atelier::test::TempDir dir;
  std::filesystem::copy_file(networks_fixture().path("lora/tiny_lora.safetensors"), dir / "fox.safetensors");
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(AddonFolderLists{{dir.path()}, {}, {}, {}}));
  auto params = case_params(networks_fixture().json()["sampling"]["cases"][0], tiny_model_path());
  params.prompt = "a fox <lora:fox:1>";
  CHECK(pipeline.generate(params).at(0).params.lora_hashes.size() == 1);  // listed and found
  std::filesystem::remove(dir / "fox.safetensors");
  CHECK_THROWS_AS(pipeline.generate(params), InvalidArgument);
  CHECK_THROWS_WITH(pipeline.generate(params), Catch::StartsWith("LoRA not found: fox"));
}
