// End-to-end parity: prompts through the whole pipeline give the reference latents and pixels.
#include <catch2/catch.hpp>

#include "core/io/png.h"
#include "core/pipeline/pipeline.h"
#include "core/pipeline/prompt_conditioning.h"
#include "pipeline/tiny_pipeline.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

// The fixture's sampler names as A1111 spells them, with their schedule type.
std::pair<std::string, std::string> a1111_sampler(const std::string& name) {
  static const std::map<std::string, std::pair<std::string, std::string>> names{
      {"euler", {"Euler", "Uniform"}},
      {"euler_noquant", {"Euler", "Uniform"}},
      {"euler_a", {"Euler a", "Uniform"}},
      {"heun", {"Heun", "Uniform"}},
      {"lms", {"LMS", "Uniform"}},
      {"dpmpp_2m_karras", {"DPM++ 2M", "Karras"}},
      {"dpmpp_2m_sde_karras", {"DPM++ 2M SDE", "Karras"}},
      {"ddim", {"DDIM", "Automatic"}},
  };
  return names.at(name);
}

GenerationParams params_for(const nlohmann::json& c) {
  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = c["prompt"];
  params.negative_prompt = c["negative_prompt"];
  std::tie(params.sampler, params.schedule) = a1111_sampler(c["sampler"]);
  params.steps = c["steps"];
  params.cfg_scale = c["cfg_scale"];
  params.seed = c["seed"];
  params.width = c["width"];
  params.height = c["height"];
  params.quantize_timesteps = c["quantize"].is_null() || c["quantize"].get<bool>();
  params.device = DeviceChoice::Cpu;
  return params;
}

// The fraction of 8-bit channel values within ±1 of the reference.
double fraction_within_one_level(const Image8& image, const at::Tensor& reference_hwc) {
  auto ours = at::from_blob(const_cast<uint8_t*>(image.rgb.data()), {image.height, image.width, 3}, at::kByte);
  auto diff = (ours.to(at::kInt) - reference_hwc.to(at::kInt)).abs();
  return (diff <= 1).to(at::kDouble).mean().item<double>();
}

void check_result(const GeneratedImage& result, const std::string& latent_key, const std::string& image_key) {
  CHECK(relative_error(result.latent, reference(latent_key)) < 1e-3);
  auto reference_u8 = reference_tensors().tensor(image_key);
  REQUIRE(result.image.width == reference_u8.size(1));
  CHECK(fraction_within_one_level(result.image, reference_u8) >= 0.999);
}

}  // namespace

TEST_CASE("prompt conditioning matches the reference cond and uncond", "[pipeline]") {
  at::InferenceMode inference;
  PromptEncoder prompts(tiny_pipeline().model().text_encoder, ClipTokenizer::bundled(), 1);
  const auto& c = reference_json()["sampling"]["cases"][0];
  CHECK(relative_error(prompts.encode(c["prompt"]), reference(c["cond"])) < 1e-4);
  CHECK(relative_error(prompts.encode(c["negative_prompt"]), reference(c["uncond"])) < 1e-4);

  const auto& emphasis = reference_json()["emphasis"];
  CHECK(relative_error(prompts.encode(emphasis["prompt"]), reference("emphasis.z_weighted")) < 1e-4);
}

TEST_CASE("long prompts become chunks of 77 and cond/uncond are padded alike", "[pipeline]") {
  at::InferenceMode inference;
  PromptEncoder prompts(tiny_pipeline().model().text_encoder, ClipTokenizer::bundled(), 1);
  const std::string long_prompt = reference_json()["text_encoder"]["cases"][2]["prompt"];
  auto cond = prompts.encode(long_prompt);
  auto uncond = prompts.encode("");
  CHECK(cond.size(1) == 154);
  prompts.match_lengths(cond, uncond);
  CHECK(uncond.size(1) == 154);
  CHECK(at::equal(uncond.narrow(1, 77, 77), prompts.encode("")));
}

TEST_CASE("every sampling case matches the reference latent and image", "[pipeline][parity]") {
  // Low memory takes the plain paths: separate CFG halves, sliced attention, contiguous VAE
  // weights, weights streamed from the file.
  for (Pipeline* pipeline : {&tiny_pipeline(), &tiny_low_memory_pipeline()}) {
    INFO((pipeline->memory_mode() == MemoryMode::Low ? "low memory" : "standard"));
    for (const auto& c : reference_json()["sampling"]["cases"]) {
      INFO("case " << c["name"].get<std::string>());
      auto results = pipeline->generate(params_for(c));
      REQUIRE(results.size() == 1);
      check_result(results[0], c["latent"], c["image_u8_hwc"]);
    }
  }
}

TEST_CASE("img2img matches the reference", "[pipeline][parity]") {
  const auto& c = reference_json()["img2img"];
  auto init = reference_tensors().tensor(c["init_image_u8_hwc"].get<std::string>()).contiguous();
  Image8 image{static_cast<int>(init.size(1)), static_cast<int>(init.size(0)),
               std::vector<uint8_t>(init.data_ptr<uint8_t>(), init.data_ptr<uint8_t>() + init.numel())};
  auto init_path = std::filesystem::temp_directory_path() / "atelier-img2img-init.png";
  write_png(init_path, image, {});

  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = c["prompt"];
  params.negative_prompt = c["negative_prompt"];
  params.sampler = "Euler";
  params.schedule = "Uniform";
  params.steps = c["steps"];
  params.cfg_scale = c["cfg"];
  params.seed = c["seed"];
  params.width = params.height = 64;
  params.quantize_timesteps = true;
  params.init_image = init_path;
  params.denoising_strength = c["strength"];
  for (Pipeline* pipeline : {&tiny_pipeline(), &tiny_low_memory_pipeline()}) {
    INFO((pipeline->memory_mode() == MemoryMode::Low ? "low memory" : "standard"));
    auto results = pipeline->generate(params);
    REQUIRE(results.size() == 1);
    check_result(results[0], c["latent"], c["image_u8_hwc"]);
  }
}
