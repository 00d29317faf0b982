// SD2.x and SDXL as diffusers folders (written from the fixtures' single files as diffusers
// lays them out): the same tensors under the single file's names, the same configs, the same
// images.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/model_source.h"
#include "families/diffusers_writer.h"
#include "families/family_pipelines.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;
namespace fs = std::filesystem;

namespace {

struct FamilyFile {
  const ReferenceFixture& fixture;
  std::string file;
  ModelFamily family;
};

std::vector<FamilyFile> family_files() {
  return {{sd2_fixture(), "model-v.safetensors", ModelFamily::SD2},
          {sdxl_fixture(), "base.safetensors", ModelFamily::SDXLBase},
          {sdxl_fixture(), "refiner.safetensors", ModelFamily::SDXLRefiner}};
}

GenerationParams small_generation(const fs::path& model) {
  GenerationParams params;
  params.model = model;
  params.prompt = "a (lighthouse:1.2) at dusk";
  params.negative_prompt = "blurry";
  params.sampler = "DPM++ 2M";
  params.steps = 2;
  params.seed = 3;
  params.width = params.height = 64;
  params.device = DeviceChoice::Cpu;
  return params;
}

}  // namespace

TEST_CASE("SD2.x and SDXL diffusers folders read as their single files", "[families][diffusers]") {
  for (const auto& [fixture, file, family] : family_files()) {
    INFO(file);
    TempDir dir;
    const fs::path single = fixture.path(file), folder = dir / "model";
    write_diffusers_folder(single, folder);
    const auto ours = inspect_checkpoint(folder);
    const auto theirs = inspect_checkpoint(single);
    REQUIRE(ours.supported());
    CHECK(ours.family == family);
    CHECK(ours.prediction == theirs.prediction);
    CHECK(ours.unet.num_head_channels == theirs.unet.num_head_channels);
    CHECK(ours.unet.transformer_depth == theirs.unet.transformer_depth);
    CHECK(ours.vae.scale_factor == theirs.vae.scale_factor);
    REQUIRE(ours.text_encoders.size() == theirs.text_encoders.size());
    for (std::size_t i = 0; i < ours.text_encoders.size(); ++i) {
      const auto &a = ours.text_encoders[i], &b = theirs.text_encoders[i];
      CHECK(a.prefix == b.prefix);
      CHECK(a.config.num_heads == b.config.num_heads);
      CHECK(a.config.quick_gelu == b.config.quick_gelu);
      CHECK(a.pooled == b.pooled);
      CHECK(a.pad_token == b.pad_token);
    }

    // Every tensor of the single file's networks, equal (in_proj from three, text_projection
    // transposed back), but what diffusers does not keep of SD2.x's text tower: its last block,
    // which SD2.x does not use, and its projection.
    const auto from_folder = open_model_source(folder);
    const auto from_file = open_model_source(single);
    const std::string sd2_last_block = "cond_stage_model.model.transformer.resblocks." +
                                       std::to_string(theirs.text_encoders[0].config.num_layers - 1) + ".";
    auto kept_by_diffusers = [&](const std::string& name) {
      const bool network = name.starts_with("model.diffusion_model.") || name.starts_with("first_stage_model.") ||
                           name.starts_with("cond_stage_model.") || name.starts_with("conditioner.");
      const bool sd2_dropped = family == ModelFamily::SD2 && (name.starts_with(sd2_last_block) ||
                                                              name == "cond_stage_model.model.text_projection");
      return network && !name.ends_with("logit_scale") && !sd2_dropped;
    };
    std::size_t compared = 0;
    for (const auto& entry : from_file->entries()) {
      if (!kept_by_diffusers(entry.name)) continue;
      INFO(entry.name);
      REQUIRE(from_folder->find(entry.name));
      CHECK(from_folder->find(entry.name)->shape == entry.shape);
      CHECK(at::equal(from_folder->tensor(entry.name), from_file->tensor(entry.name)));
      ++compared;
    }
    CHECK(compared > 200);
  }
}

TEST_CASE("an SD2.x or SDXL image from the folder equals one from the single file, bit for bit",
          "[families][diffusers]") {
  for (const auto& [fixture, file, family] : family_files()) {
    INFO(file);
    TempDir dir;
    const fs::path single = fixture.path(file), folder = dir / "model";
    write_diffusers_folder(single, folder);
    Pipeline from_folder(folder, DeviceChoice::Cpu);
    const auto ours = from_folder.generate(small_generation(folder));
    const auto reference = fixture_pipeline(fixture, file).generate(small_generation(single));
    REQUIRE(ours.size() == 1);
    CHECK(at::equal(ours[0].latent, reference[0].latent));
    CHECK(ours[0].image.rgb == reference[0].image.rgb);
  }
}

TEST_CASE("a diffusers text encoder with a projection missing is refused naming the fused tensor",
          "[families][diffusers]") {
  TempDir dir;
  const fs::path folder = dir / "model";
  write_diffusers_folder(sdxl_fixture().path("base.safetensors"), folder);
  const fs::path weights = folder / "text_encoder_2" / "model.safetensors";
  {
    const SafetensorsFile original(weights);
    std::vector<std::pair<std::string, at::Tensor>> kept;
    for (const auto& entry : original.entries())
      if (entry.name != "text_model.encoder.layers.1.self_attn.k_proj.weight")
        kept.emplace_back(entry.name, original.tensor(entry.name));
    write_safetensors(weights, kept);
  }
  CHECK_THROWS_WITH(load_stable_diffusion(folder),
                    Catch::Contains(weights.string()) &&
                        Catch::Contains("text_model.encoder.layers.1.self_attn.{q,k,v}_proj.weight") &&
                        Catch::Contains("conditioner.embedders.1.model.transformer.resblocks.1.attn.in_proj_weight"));
}

TEST_CASE("a diffusers pipeline of another kind is refused by its class name", "[families][diffusers]") {
  TempDir dir;
  const fs::path folder = dir / "model";
  write_diffusers_folder(sdxl_fixture().path("base.safetensors"), folder);
  std::ofstream(folder / "model_index.json") << R"({"_class_name": "StableDiffusion3Pipeline"})";
  CHECK_THROWS_AS(load_stable_diffusion(folder), UnsupportedModel);
  CHECK_THROWS_WITH(inspect_checkpoint(folder), Catch::Contains("StableDiffusion3Pipeline"));
}
