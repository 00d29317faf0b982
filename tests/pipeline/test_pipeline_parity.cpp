// End-to-end parity: prompts through the whole pipeline give the reference latents and pixels.
#include <catch2/catch.hpp>

#include "core/io/png.h"
#include "core/pipeline/pipeline.h"
#include "core/pipeline/prompt_conditioning.h"
#include "pipeline/tiny_pipeline.h"
#include "support/fixtures.h"
#include "support/parity.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

GenerationParams params_for(const nlohmann::json& c) { return case_params(c, tiny_model_path()); }

void check_result(const GeneratedImage& result, const std::string& latent_key, const std::string& image_key) {
  CHECK(relative_error(result.latent, reference(latent_key)) < 1e-3);
  auto reference_u8 = reference_tensors().tensor(image_key);
  REQUIRE(result.image.width == reference_u8.size(1));
  CHECK(fraction_within_one_level(result.image, reference_u8) >= 0.999);
}

}  // namespace

TEST_CASE("prompt conditioning matches the reference cond and uncond", "[pipeline]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(tiny_pipeline().model());  // a pipeline's stream
  PromptEncoder prompts(tiny_pipeline().model().text_encoders.at(0), ClipTokenizer::bundled(), 1);
  const auto& c = reference_json()["sampling"]["cases"][0];
  CHECK(relative_error(prompts.encode(c["prompt"]), reference(c["cond"])) < 1e-4);
  CHECK(relative_error(prompts.encode(c["negative_prompt"]), reference(c["uncond"])) < 1e-4);

  const auto& emphasis = reference_json()["emphasis"];
  CHECK(relative_error(prompts.encode(emphasis["prompt"]), reference("emphasis.z_weighted")) < 1e-4);
}

TEST_CASE("long prompts become chunks of 77; a cond and uncond of other lengths run apart", "[pipeline]") {
  at::InferenceMode inference;
  auto& pipeline = tiny_pipeline();
  GenerationParams params;
  params.prompt = reference_json()["text_encoder"]["cases"][2]["prompt"];
  const auto prompts = pipeline.encode_prompts(params);
  CHECK(prompts.cond.at(0).context.size(1) == 154);
  CHECK(prompts.uncond.at(0).context.size(1) == 77);
  // A1111 (pad_cond_uncond off) runs the UNet on each alone rather than padding the shorter one.
  const auto x = at::randn({1, 4, 8, 8});
  const auto t = at::full({1}, 500, at::kLong);
  auto& unet = *pipeline.model().unet.ptr();
  const auto uncond = unet.forward(x, t, prompts.uncond.at(0).context);
  const auto cond = unet.forward(x, t, prompts.cond.at(0).context);
  CHECK(relative_error(pipeline.guided_eps(prompts, 7.0)(x, t), uncond + (cond - uncond) * 7.0) < 1e-6);
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
  TempDir dir;
  const auto params = img2img_params(c, tiny_model_path(),
                                     reference_tensors().tensor(c["init_image_u8_hwc"].get<std::string>()), dir / "init.png");
  for (Pipeline* pipeline : {&tiny_pipeline(), &tiny_low_memory_pipeline()}) {
    INFO((pipeline->memory_mode() == MemoryMode::Low ? "low memory" : "standard"));
    auto results = pipeline->generate(params);
    REQUIRE(results.size() == 1);
    check_result(results[0], c["latent"], c["image_u8_hwc"]);
  }
}
