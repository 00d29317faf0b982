// A diffusers folder loads as the single file it was made from: same tensors, same image.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/model_source.h"
#include "core/pipeline/pipeline.h"
#include "forms/formats_fixture.h"
#include "support/parity.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;
namespace fs = std::filesystem;

namespace {

fs::path folder() { return formats().path("diffusers"); }

// A copy of the fixture's folder to break.
fs::path copy_folder(const TempDir& dir) {
  const fs::path copy = dir / "model";
  fs::copy(folder(), copy, fs::copy_options::recursive);
  return copy;
}

}  // namespace

TEST_CASE("a diffusers folder gives the single file's tensors under LDM names", "[forms][diffusers]") {
  const auto source = open_model_source(folder());
  check_value_set(*source, "f32", schedule_buffers());  // the schedule lives in scheduler_config.json
  // The full-precision UNet is read, not the fp16 variant beside it.
  CHECK(source->find("model.diffusion_model.out.2.weight")->dtype == DType::F32);
  CHECK(source->find("cond_stage_model.transformer.text_model.final_layer_norm.weight")->dtype == DType::F16);
}

TEST_CASE("the folder's configs tell what the single file's yaml tells", "[forms][diffusers]") {
  const auto ours = inspect_checkpoint(folder());
  const auto single = inspect_checkpoint(tiny_model_path());  // with its sidecar yaml
  REQUIRE(ours.supported());
  CHECK(ours.family == ModelFamily::SD1);
  CHECK_FALSE(ours.sidecar_yaml);
  CHECK(ours.tensor_count == 432 - 12);
  CHECK(ours.unet.model_channels == single.unet.model_channels);
  CHECK(ours.unet.channel_mult == single.unet.channel_mult);
  CHECK(ours.unet.transformer_depth == single.unet.transformer_depth);
  CHECK(ours.unet.num_res_blocks == single.unet.num_res_blocks);
  CHECK(ours.unet.context_dim == single.unet.context_dim);
  // attention_head_dim 2 is the number of heads (the yaml's num_heads: 2), not their width.
  CHECK(ours.unet.num_heads == 2);
  CHECK(ours.unet.num_head_channels == -1);
  CHECK(ours.vae.ch_mult == single.vae.ch_mult);
  CHECK(ours.vae.scale_factor == single.vae.scale_factor);
  REQUIRE(ours.text_encoders.size() == 1);
  CHECK(ours.text_encoders[0].prefix == single.text_encoders[0].prefix);
  CHECK(ours.text_encoders[0].config.num_heads == single.text_encoders[0].config.num_heads);
  CHECK(ours.text_encoders[0].config.quick_gelu);
  CHECK(ours.schedule.linear_start == single.schedule.linear_start);
  CHECK(ours.schedule.linear_end == single.schedule.linear_end);
  CHECK(ours.schedule.timesteps == single.schedule.timesteps);
  CHECK(ours.prediction == Prediction::Epsilon);
}

TEST_CASE("a generation from the folder equals one from the single file, bit for bit", "[forms][diffusers]") {
  for (const auto memory : {MemoryMode::Standard, MemoryMode::Low}) {
    INFO((memory == MemoryMode::Low ? "low memory" : "standard"));
    Pipeline from_folder(folder(), DeviceChoice::Cpu, memory);
    Pipeline from_file(tiny_model_path(), DeviceChoice::Cpu, memory);
    const auto ours = from_folder.generate(sampling_case(folder()));
    const auto reference = from_file.generate(sampling_case(tiny_model_path()));
    REQUIRE(ours.size() == 1);
    CHECK(at::equal(ours[0].latent, reference[0].latent));
    CHECK(ours[0].image.rgb == reference[0].image.rgb);
  }
}

TEST_CASE("the fp16 variant is read when it is the only UNet file", "[forms][diffusers]") {
  TempDir dir;
  const fs::path copy = copy_folder(dir);
  fs::remove(copy / "unet" / "diffusion_pytorch_model.safetensors");
  const auto source = open_model_source(copy);
  CHECK(source->find("model.diffusion_model.out.2.weight")->dtype == DType::F16);
  check_value_set(*source, "f32", schedule_buffers());  // the fixture's weights are F16-exact
}

TEST_CASE("a broken diffusers folder is refused naming the folder, file and tensor", "[forms][diffusers]") {
  TempDir dir;
  const fs::path copy = copy_folder(dir);

  fs::create_directory(dir / "empty");
  CHECK_THROWS_WITH(load_stable_diffusion(dir / "empty"),
                    Catch::Contains((dir / "empty").string()) && Catch::Contains("model_index.json"));

  // A tensor the mapping expects that the UNet file lacks: named as diffusers and LDM name it.
  const fs::path unet = copy / "unet" / "diffusion_pytorch_model.safetensors";
  {
    const SafetensorsFile original(folder() / "unet" / "diffusion_pytorch_model.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> kept;
    for (const auto& entry : original.entries())
      if (entry.name != "conv_norm_out.weight") kept.emplace_back(entry.name, original.tensor(entry.name));
    write_safetensors(unet, kept);
  }
  CHECK_THROWS_WITH(load_stable_diffusion(copy), Catch::Contains(unet.string()) &&
                                                     Catch::Contains("conv_norm_out.weight") &&
                                                     Catch::Contains("model.diffusion_model.out.0.weight"));

  // No weights file in a component; no component folder.
  fs::remove(unet);
  fs::remove(copy / "unet" / "diffusion_pytorch_model.fp16.safetensors");
  CHECK_THROWS_WITH(open_model_source(copy), Catch::Contains((copy / "unet").string()) &&
                                                 Catch::Contains("diffusion_pytorch_model.safetensors"));
  fs::remove_all(copy / "unet");
  CHECK_THROWS_AS(open_model_source(copy), FormatError);
  CHECK_THROWS_WITH(open_model_source(copy), Catch::Contains((copy / "unet").string()));
}

TEST_CASE("the components model_index.json lists are the ones read", "[forms][diffusers]") {
  TempDir dir;
  const fs::path copy = copy_folder(dir);
  {
    std::ofstream index(copy / "model_index.json");
    index << R"({"_class_name": "StableDiffusionXLPipeline", "text_encoder": ["transformers", "CLIPTextModel"],
                 "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"]})";
  }
  CHECK_THROWS_AS(load_stable_diffusion(copy), FormatError);
  CHECK_THROWS_WITH(inspect_checkpoint(copy), Catch::Contains((copy / "text_encoder_2").string()));
}
