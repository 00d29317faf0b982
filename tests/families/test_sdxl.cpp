// SDXL base and refiner (CLIP-L + OpenCLIP bigG, pooled vector, size and aesthetic
// conditioning, A1111's hand-over) against Stability-AI's generative-models outputs in sdxl-tiny.
#include <catch2/catch.hpp>

#include "core/models/checkpoint.h"
#include "core/pipeline/hires_fix.h"
#include "core/pipeline/prompt_conditioning.h"
#include "core/sampling/sampler_registry.h"
#include "families/family_pipelines.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

Pipeline& base() { return fixture_pipeline(sdxl_fixture(), "base.safetensors"); }
Pipeline& refiner() { return fixture_pipeline(sdxl_fixture(), "refiner.safetensors"); }
Pipeline& sdxl_pipeline(const std::string& model) { return model == "refiner" ? refiner() : base(); }

// The fixture's [h, w] pairs as our conditioning numbers.
ImageConditioning image_conditioning(const nlohmann::json& c, double aesthetic_score = 6.0) {
  ImageConditioning image;
  image.original_height = c["original_size"][0];
  image.original_width = c["original_size"][1];
  image.crop_top = c["crop"][0];
  image.crop_left = c["crop"][1];
  const auto& target = c.contains("target_size") ? c["target_size"] : c["original_size"];
  image.target_height = target[0];
  image.target_width = target[1];
  image.aesthetic_score = aesthetic_score;
  return image;
}

GenerationParams run_params(const nlohmann::json& c, const std::string& model) {
  return case_params(c, sdxl_fixture().path(model));
}

}  // namespace

TEST_CASE("SDXL base and refiner are told apart, with their sizes", "[sdxl][checkpoint]") {
  const auto info = inspect_checkpoint(SafetensorsFile(sdxl_fixture().path("base.safetensors")));
  CHECK(info.family == ModelFamily::SDXLBase);
  CHECK(info.supported());
  CHECK(info.description() == "SDXL base (epsilon)");
  CHECK(info.unet.transformer_depth == std::vector<int>{0, 1, 2});
  CHECK(info.unet.middle_transformer_depth == 2);
  CHECK(info.unet.adm_in_channels == 1560);
  CHECK(info.unet.context_dim == 64);
  CHECK(info.unet.num_head_channels == 16);  // from the sgm yaml
  CHECK(info.vae.scale_factor == 0.13025);
  REQUIRE(info.text_encoders.size() == 2);
  CHECK(info.text_encoders[0].layout == TextEncoderInfo::Layout::HuggingFaceClip);
  CHECK(info.text_encoders[0].config.num_heads == 2);
  CHECK(info.text_encoders[0].hidden_layer == 1);
  CHECK(info.text_encoders[1].layout == TextEncoderInfo::Layout::OpenClip);
  CHECK(info.text_encoders[1].config.projection_dim == 24);
  CHECK(info.text_encoders[1].pooled);
  const auto refiner_info = inspect_checkpoint(SafetensorsFile(sdxl_fixture().path("refiner.safetensors")));
  CHECK(refiner_info.family == ModelFamily::SDXLRefiner);
  CHECK(refiner_info.unet.adm_in_channels == 1304);
  CHECK(refiner_info.unet.transformer_depth == std::vector<int>{0, 1, 1, 0});  // attention at ds 2 and 4
  REQUIRE(refiner_info.text_encoders.size() == 1);
  CHECK(refiner_info.text_encoders[0].layout == TextEncoderInfo::Layout::OpenClip);
}

TEST_CASE("SDXL's two text encoders match every reference state and the pooled vector", "[sdxl][text]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(base().model());  // a pipeline's stream
  auto& clip = *base().model().text_encoders.at(0).network;
  auto& open_clip = *base().model().text_encoders.at(1).network;
  for (const auto& c : sdxl_fixture().json()["text"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    const auto clip_ids = sdxl_fixture().raw(c["clip_l"]["ids"]).to(at::kLong);
    const auto clip_states = clip.hidden_states(clip_ids);
    for (std::size_t i = 0; i < clip_states.size(); ++i)
      CHECK(relative_error(clip_states[i], sdxl_fixture()(c["clip_l"]["hidden_states"][i])) < kNetworkTolerance);
    CHECK(relative_error(clip_states[1], sdxl_fixture()(c["clip_l"]["output"])) < kNetworkTolerance);
    const auto open_ids = sdxl_fixture().raw(c["open_clip"]["ids"]).to(at::kLong);
    const auto open_states = open_clip.hidden_states(open_ids);
    CHECK(relative_error(open_states[2], sdxl_fixture()(c["open_clip"]["penultimate"])) < kNetworkTolerance);
    CHECK(relative_error(open_states[3], sdxl_fixture()(c["open_clip"]["last"])) < kNetworkTolerance);
    CHECK(relative_error(open_clip.final_norm(open_states[3]), sdxl_fixture()(c["open_clip"]["last_ln_final"])) <
          kNetworkTolerance);
    CHECK(relative_error(open_clip.pooled(open_states[3], open_ids), sdxl_fixture()(c["open_clip"]["pooled"])) <
          kNetworkTolerance);
  }
}

TEST_CASE("SDXL conditioning from the prompt: crossattn and vector, base and refiner", "[sdxl][text]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(base().model());
  Conditioner conditioner(base().model(), ClipTokenizer::bundled(), /*clip_skip=*/1);
  for (const auto& c : sdxl_fixture().json()["text"]["cases"]) {
    if (c["truncated"].get<bool>()) continue;  // sgm truncates, A1111 chunks: the a1111_long case
    INFO("case " << c["name"].get<std::string>());
    const auto conditioning = conditioner.encode(c["prompt"], image_conditioning(c["size_cond"]));
    CHECK(relative_error(conditioning.context, sdxl_fixture()(c["crossattn"])) < kNetworkTolerance);
    CHECK(relative_error(conditioning.vector, sdxl_fixture()(c["vector"])) < kNetworkTolerance);
  }
  const auto& text = sdxl_fixture().json()["text"];
  const auto& zero = text["zeroed_empty_negative"];
  const auto negative = conditioner.encode("", image_conditioning(zero["base"]), /*negative=*/true);
  CHECK(negative.context.abs().max().item<double>() == 0);
  CHECK(relative_error(negative.vector, sdxl_fixture()(zero["base"]["vector"])) < kNetworkTolerance);

  const TextEncodersInUse refiner_weights(refiner().model());
  Conditioner refined(refiner().model(), ClipTokenizer::bundled(), 1);
  const auto& r = text["refiner_case"];
  const auto conditioning = refined.encode(r["prompt"], image_conditioning(r, r["aesthetic_score"]));
  CHECK(relative_error(conditioning.context, sdxl_fixture()(r["crossattn"])) < kNetworkTolerance);
  CHECK(relative_error(conditioning.vector, sdxl_fixture()(r["vector"])) < kNetworkTolerance);
  const auto refiner_negative =
      refined.encode("", image_conditioning(zero["refiner"], zero["refiner"]["aesthetic_score"]), true);
  CHECK(relative_error(refiner_negative.vector, sdxl_fixture()(zero["refiner"]["vector"])) < kNetworkTolerance);
}

TEST_CASE("SDXL UNets match the reference eps, embeddings and blocks", "[sdxl][unet]") {
  at::InferenceMode inference;
  for (const auto& c : sdxl_fixture().json()["unet"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    check_unet_case(*sdxl_pipeline(c["model"]).model().unet.ptr(), sdxl_fixture(), c, "eps", sdxl_fixture()(c["y"]));
  }
}

TEST_CASE("every SDXL conditioning number reaches the UNet in its place", "[sdxl][unet]") {
  at::InferenceMode inference;
  const TextEncodersInUse weights(base().model());
  Conditioner conditioner(base().model(), ClipTokenizer::bundled(), 1);
  const auto& sensitivity = sdxl_fixture().json()["sensitivity"];
  const auto x = sdxl_fixture()(sensitivity["x"]);
  const auto t = at::full({1}, sensitivity["timestep"].get<double>());
  CHECK(relative_error(conditioner.encode(sensitivity["cases"][0]["prompt"], {}).context,
                       sdxl_fixture()(sensitivity["context_of_reference"])) < kNetworkTolerance);
  for (const auto& c : sensitivity["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    const auto image = image_conditioning(c);
    const auto conditioning = conditioner.encode(c["prompt"], image);
    auto vector = conditioning.vector;
    if (c.value("pooled_zeroed", false)) vector = sdxl_vector(ModelFamily::SDXLBase, at::zeros({1, 24}), image);
    if (c.contains("pooled_from_prompt")) {
      const auto other = conditioner.encode(c["pooled_from_prompt"], image).vector.narrow(1, 0, 24);
      vector = sdxl_vector(ModelFamily::SDXLBase, other, image);
    }
    CHECK(relative_error(vector, sdxl_fixture()(c["vector"])) < kNetworkTolerance);
    CHECK(relative_error(base().model().unet.ptr()->forward(x, t, conditioning.context, sdxl_fixture()(c["vector"])),
                         sdxl_fixture()(c["eps"])) < kNetworkTolerance);
  }
}

TEST_CASE("SDXL VAE: scale 0.13025, decode and encode as the reference", "[sdxl][vae]") {
  at::InferenceMode inference;
  const auto& vae = sdxl_fixture().json()["vae"];
  CHECK(relative_error(base().decode(sdxl_fixture()(vae["decode"]["latent_scaled"]), GenerationParams::VaeTiling::Off),
                       sdxl_fixture()(vae["decode"]["image"])) < kNetworkTolerance);
  const auto mean = base().model().vae.ptr()->encode(sdxl_fixture()(vae["encode"]["image"])).mean;
  CHECK(relative_error(mean * 0.13025, sdxl_fixture()(vae["encode"]["latent_scaled_mean"])) < kNetworkTolerance);
}

TEST_CASE("every SDXL txt2img case from the prompt text, empty negatives zeroed", "[sdxl][parity]") {
  for (const auto& c : sdxl_fixture().json()["txt2img"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    const auto params = run_params(c, "base.safetensors");
    const auto results = base().generate(params);
    REQUIRE(results.size() == 1);
    check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
  }
}

TEST_CASE("SDXL img2img matches the reference", "[sdxl][parity]") {
  const auto& c = sdxl_fixture().json()["img2img"];
  TempDir dir;
  const auto params =
      img2img_params(c, sdxl_fixture().path("base.safetensors"), sdxl_fixture().raw(c["init_image_u8_hwc"]), dir / "init.png");
  const auto results = base().generate(params);
  REQUIRE(results.size() == 1);
  check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
}

TEST_CASE("an SDXL prompt over 75 tokens is chunked as A1111 does, cond and uncond run apart", "[sdxl][parity]") {
  const auto& c = sdxl_fixture().json()["a1111_long"];
  {
    at::InferenceMode inference;
    const auto prompts = base().encode_prompts(run_params(c, "base.safetensors"));
    CHECK(relative_error(prompts.cond.at(0).context, sdxl_fixture()(c["cond_crossattn"])) < kNetworkTolerance);
    CHECK(relative_error(prompts.cond.at(0).vector, sdxl_fixture()(c["cond_vector"])) < kNetworkTolerance);
    CHECK(relative_error(prompts.uncond.at(0).context, sdxl_fixture()(c["uncond_crossattn"])) < kNetworkTolerance);
    CHECK(relative_error(prompts.uncond.at(0).vector, sdxl_fixture()(c["uncond_vector"])) < kNetworkTolerance);
  }
  const auto results = base().generate(run_params(c, "base.safetensors"));
  REQUIRE(results.size() == 1);
  check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
}

TEST_CASE("the SDXL refiner as its own txt2img model", "[sdxl][parity]") {
  const auto& c = sdxl_fixture().json()["refiner_alone"];
  const auto results = refiner().generate(run_params(c, "refiner.safetensors"));
  REQUIRE(results.size() == 1);
  check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
}

TEST_CASE("base to refiner hand-over at A1111's sigma-table switch", "[sdxl][parity]") {
  const auto& c = sdxl_fixture().json()["refiner_run"];
  auto params = run_params(c, "base.safetensors");
  params.refiner = sdxl_fixture().path("refiner.safetensors");
  params.refiner_switch_at = c["switch_at"];
  const auto results = base().generate(params);
  REQUIRE(results.size() == 1);
  check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
  // Without the refiner the run ends elsewhere: the hand-over really happened.
  params.refiner.reset();
  const auto base_only = base().generate(params);
  CHECK(relative_error(base_only[0].latent, sdxl_fixture()(c["latent_base_only"])) < 1e-3);
}

// A1111's default "Hires fix: which pass to enable refiner for": the second pass.
TEST_CASE("hires fix with a refiner: the base alone in the first pass, the refiner taking over in the second",
          "[sdxl][hires]") {
  const auto& c = sdxl_fixture().json()["refiner_run"];
  auto params = run_params(c, "base.safetensors");
  params.refiner = sdxl_fixture().path("refiner.safetensors");
  params.refiner_switch_at = 0.5;
  params.hires_fix = true;
  params.hires_scale = 1.5;
  params.hires_steps = 4;
  params.denoising_strength = 0.7;
  const auto hires = base().generate(params).at(0);
  CHECK(hires.image.width == 192);

  // By hand: the first pass as plain base txt2img, its latent upscaled, then the fixed-step
  // img2img pass of the base handing over to the refiner, one prompt-editing count for both.
  auto first = params;
  first.hires_fix = false;
  first.refiner.reset();
  const auto plain = base().generate(first).at(0);
  at::InferenceMode inference;
  const auto upscaled = upscale_latent(plain.latent, *latent_upscale_mode("Latent"), 12, 24);
  auto second = params;
  second.width = 192;
  second.height = 96;
  const auto steps = std::make_shared<int>(0);
  auto& pipeline = base();
  StableDiffusionModel& refiner_model = pipeline.refiner(*params.refiner);
  const auto base_prompts = pipeline.encode_prompts(second, ScheduleOptions{4});
  const auto refiner_prompts = pipeline.encode_prompts(refiner_model, second, ScheduleOptions{4});
  const auto& info = pipeline.model().info;
  SamplingRun run{choose_sampler(params.sampler, params.schedule), 4, false,
                  pipeline.guided_eps(pipeline.model(), base_prompts, params.cfg_scale, nullptr, steps),
                  DiscreteSchedule::scaled_linear(info.schedule.linear_start, info.schedule.linear_end, info.schedule.timesteps),
                  false, std::nullopt, std::nullopt};
  run.handover = Handover{pipeline.guided_eps(refiner_model, refiner_prompts, params.cfg_scale, nullptr, steps), false, 0.5};
  BatchNoise noise(params.noise, {static_cast<std::uint64_t>(params.seed)});
  const auto initial = noise.randn(upscaled.sizes());
  const auto expected = run_img2img_fixed_steps(run, upscaled, 0.7, initial, noise, {});
  CHECK(*run.handover->switched);
  CHECK(at::equal(hires.latent, expected));

  // Switching at 1 never hands over: the hires fix of the base alone.
  params.refiner_switch_at = 1.0;
  auto alone = params;
  alone.refiner.reset();
  CHECK(at::equal(base().generate(params).at(0).latent, base().generate(alone).at(0).latent));
}

TEST_CASE("SDXL in low-memory mode gives the reference image, both text encoders streamed", "[sdxl][parity][memory]") {
  Pipeline low(sdxl_fixture().path("base.safetensors"), DeviceChoice::Cpu, MemoryMode::Low);
  const auto& c = sdxl_fixture().json()["txt2img"]["cases"][0];
  const auto results = low.generate(run_params(c, "base.safetensors"));
  REQUIRE(results.size() == 1);
  check_generation(results[0], sdxl_fixture(), c["latent"], c["image_u8_hwc"]);
  for (const auto& encoder : low.model().text_encoders)
    for (const auto& weights : encoder.network->named_parameters()) {
      INFO(weights.key());
      CHECK(weights.value().numel() == 0);
    }
}

TEST_CASE("a truncated or mismatched SDXL file is refused naming the file and the tensor", "[sdxl][checkpoint]") {
  TempDir dir;
  // Truncated: the header promises more bytes than the file has.
  const auto truncated = dir / "truncated.safetensors";
  std::filesystem::copy_file(sdxl_fixture().path("base.safetensors"), truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
  CHECK_THROWS_WITH(SafetensorsFile(truncated), Catch::Contains(truncated.string()));
  // Mismatched: the OpenCLIP tower's MLP of another width than its first block says.
  const SafetensorsFile source(sdxl_fixture().path("base.safetensors"));
  const std::string changed = "conditioner.embedders.1.model.transformer.resblocks.2.mlp.c_fc.weight";
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& entry : source.entries()) {
    auto tensor = source.tensor(entry.name);
    tensors.emplace_back(entry.name, entry.name == changed ? tensor.narrow(0, 0, 64).contiguous() : tensor);
  }
  const auto mismatched = dir / "base.safetensors";
  write_safetensors(mismatched, tensors);
  std::filesystem::copy_file(sdxl_fixture().path("base.yaml"), dir / "base.yaml");
  CHECK_THROWS_WITH(load_stable_diffusion(mismatched), Catch::Contains(changed) && Catch::Contains("shape"));
}
