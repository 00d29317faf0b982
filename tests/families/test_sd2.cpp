// SD2.x (OpenCLIP ViT-H text tower, ε and v-prediction UNets) against Stability-AI's
// stablediffusion reference outputs in sd2-tiny.
#include <catch2/catch.hpp>

#include "core/models/checkpoint.h"
#include "core/pipeline/prompt_conditioning.h"
#include "families/family_pipelines.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

Pipeline& sd2_pipeline(const std::string& model) {
  return fixture_pipeline(sd2_fixture(), model == "v" ? "model-v.safetensors" : "model-eps-fp16.safetensors");
}

}  // namespace

TEST_CASE("SD2 checkpoints are told apart: family, ε or v, sizes", "[sd2][checkpoint]") {
  const auto v = inspect_checkpoint(SafetensorsFile(sd2_fixture().path("model-v.safetensors")));
  CHECK(v.family == ModelFamily::SD2);
  CHECK(v.prediction == Prediction::V);
  CHECK(v.description() == "SD2.x (v-prediction)");
  CHECK(v.supported());
  CHECK(v.unet.num_head_channels == 16);
  CHECK(v.unet.linear_projection);
  CHECK(v.unet.context_dim == 32);
  REQUIRE(v.text_encoders.size() == 1);
  CHECK(v.text_encoders[0].layout == TextEncoderInfo::Layout::OpenClip);
  CHECK(v.text_encoders[0].config.num_heads == 2);
  CHECK(v.text_encoders[0].config.num_layers == 3);
  CHECK_FALSE(v.text_encoders[0].config.quick_gelu);
  CHECK(v.text_encoders[0].pad_token == 0);
  const auto eps = inspect_checkpoint(SafetensorsFile(sd2_fixture().path("model-eps-fp16.safetensors")));
  CHECK(eps.family == ModelFamily::SD2);
  CHECK(eps.prediction == Prediction::Epsilon);
  CHECK(eps.description() == "SD2.x (epsilon)");
}

TEST_CASE("a small SD2 model without its yaml is refused with the reason, not run wrong", "[sd2][checkpoint]") {
  TempDir dir;
  std::filesystem::copy_file(sd2_fixture().path("model-v.safetensors"), dir / "model-v.safetensors");
  const auto info = inspect_checkpoint(SafetensorsFile(dir / "model-v.safetensors"));
  CHECK(info.family == ModelFamily::SD2);
  CHECK_FALSE(info.sidecar_yaml.has_value());
  CHECK(info.description() == "SD2.x (epsilon or v-prediction, told when loaded)");
  CHECK_THAT(info.unsupported_reason, Catch::Contains("32 channels") && Catch::Contains("yaml"));
}

TEST_CASE("OpenCLIP text tower matches every layer of the reference", "[sd2][text]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(sd2_pipeline("v").model());  // a pipeline's stream
  auto& encoder = *sd2_pipeline("v").model().text_encoders.at(0).network;
  for (const auto& c : sd2_fixture().json()["text_encoder"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    const auto ids = sd2_fixture().raw(c["ids"]).to(at::kLong);
    const auto states = encoder.hidden_states(ids);
    REQUIRE(states.size() == 4);
    CHECK(relative_error(encoder.final_norm(states[2]), sd2_fixture()(c["penultimate_ln"])) < kNetworkTolerance);
    CHECK(relative_error(states[2], sd2_fixture()(c["penultimate_raw"])) < kNetworkTolerance);
    CHECK(relative_error(encoder.final_norm(states[3]), sd2_fixture()(c["last_ln"])) < kNetworkTolerance);
    if (c.contains("layer_outputs")) {
      CHECK(relative_error(states[0], sd2_fixture()(c["embeddings"])) < kNetworkTolerance);
      for (std::size_t k = 0; k < c["layer_outputs"].size(); ++k)
        CHECK(relative_error(states[k + 1], sd2_fixture()(c["layer_outputs"][k])) < kNetworkTolerance);
    }
  }
}

TEST_CASE("SD2 prompt conditioning: pad 0 after the end token, ln_final, A1111 chunks", "[sd2][text]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(sd2_pipeline("v").model());  // a pipeline's stream
  PromptEncoder prompts(sd2_pipeline("v").model().text_encoders.at(0), ClipTokenizer::bundled(), /*clip_skip=*/1);
  for (const auto& c : sd2_fixture().json()["text_encoder"]["cases"]) {
    if (c["num_bpe_ids"].get<int>() > 75) continue;  // the reference truncates; A1111 chunks (below)
    INFO("case " << c["name"].get<std::string>());
    CHECK(relative_error(prompts.encode(c["prompt"]), sd2_fixture()(c["penultimate_ln"])) < kNetworkTolerance);
  }
  const auto& chunks = sd2_fixture().json()["a1111_chunks"];
  const auto cond = prompts.encode(chunks["prompt"]);
  CHECK(cond.size(1) == 77 * chunks["num_chunks"].get<int>());
  CHECK(relative_error(cond, sd2_fixture()(chunks["cond"])) < kNetworkTolerance);
}

TEST_CASE("SD2 UNets (v and ε) match the reference outputs and blocks", "[sd2][unet]") {
  at::InferenceMode inference;
  for (const auto& c : sd2_fixture().json()["unet"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    check_unet_case(*sd2_pipeline(c["model"]).model().unet.ptr(), sd2_fixture(), c, "output");
  }
}

TEST_CASE("SD2 VAE decodes and encodes as the reference", "[sd2][vae]") {
  at::InferenceMode inference;
  auto& pipeline = sd2_pipeline("v");
  const auto& vae = sd2_fixture().json()["vae"];
  CHECK(relative_error(pipeline.decode(sd2_fixture()(vae["decode"]["latent_scaled"]), GenerationParams::VaeTiling::Off),
                       sd2_fixture()(vae["decode"]["image"])) < kNetworkTolerance);
  const auto mean = pipeline.model().vae.ptr()->encode(sd2_fixture()(vae["encode"]["image"])).mean;
  CHECK(relative_error(mean, sd2_fixture()(vae["encode"]["mean"])) < kNetworkTolerance);
}

TEST_CASE("every SD2 sampling case, v and ε, from the prompt text", "[sd2][parity]") {
  for (const auto& c : sd2_fixture().json()["sampling"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    auto& pipeline = sd2_pipeline(c["model"]);
    const auto results = pipeline.generate(case_params(c, pipeline.model().info.path));
    REQUIRE(results.size() == 1);
    check_generation(results[0], sd2_fixture(), c["latent"], c["image_u8_hwc"]);
  }
}

TEST_CASE("SD2 v-prediction img2img matches the reference", "[sd2][parity]") {
  const auto& c = sd2_fixture().json()["img2img"];
  TempDir dir;
  auto& pipeline = sd2_pipeline(c["model"]);
  const auto params =
      img2img_params(c, pipeline.model().info.path, sd2_fixture().raw(c["init_image_u8_hwc"]), dir / "init.png");
  const auto results = pipeline.generate(params);
  REQUIRE(results.size() == 1);
  check_generation(results[0], sd2_fixture(), c["latent"], c["image_u8_hwc"]);
}
