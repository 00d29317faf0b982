// Inpainting: the 9-channel SD1.x model (c_concat = mask, masked-image latent) and A1111's
// masked img2img flow (per-step latent blending, overlay), against inpaint-tiny.
#include <catch2/catch.hpp>

#include "core/models/checkpoint.h"
#include "core/sampling/sampling_run.h"
#include "families/family_pipelines.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

Pipeline& pipeline() { return fixture_pipeline(inpaint_fixture(), "model.safetensors"); }
const nlohmann::json& inputs() { return inpaint_fixture().json()["inputs"]; }

// The fixture's mask [H, W] as a grey PNG, as a user would paint it.
std::filesystem::path write_mask(const TempDir& dir) {
  const auto mask = inpaint_fixture().raw(inputs()["mask_u8_hw"]);
  const auto path = dir / "mask.png";
  write_reference_png(path, mask.unsqueeze(-1).expand({-1, -1, 3}));
  return path;
}

}  // namespace

TEST_CASE("the inpainting checkpoint is SD1.x with 9 input channels", "[inpaint][checkpoint]") {
  const auto info = inspect_checkpoint(SafetensorsFile(inpaint_fixture().path("model.safetensors")));
  CHECK(info.family == ModelFamily::SD1);
  CHECK(info.inpainting);
  CHECK(info.supported());
  CHECK(info.unet.in_channels == 9);
  CHECK(info.unet.out_channels == 4);
}

TEST_CASE("a mask file gives A1111's two latent masks and the inpainting c_concat", "[inpaint]") {
  at::InferenceMode inference;
  TempDir dir;
  const auto mask = load_inpaint_mask(write_mask(dir), 64, 64, ResizeMode::JustResize, /*blur=*/0);
  const auto full = conditioning_mask(mask);
  CHECK(at::equal(full, inpaint_fixture()(inputs()["conditioning_mask_full"])));
  const auto repaint = latent_repaint_mask(mask, 8, 8);
  CHECK(at::equal(repaint, inpaint_fixture()(inputs()["nmask"]).narrow(1, 0, 1)));
  // The blending mask is not the c_concat one (bicubic and rounded vs the top-left pixel).
  const auto nearest = inpaint_fixture()(inputs()["conditioning_mask"]);
  CHECK(repaint.ne(nearest).sum().item<int>() == inputs()["latent_cells_where_blend_mask_differs_from_concat_mask"]);

  const auto source = inpaint_fixture()(inputs()["source_image"]);
  const auto concat = pipeline().inpainting_concat(source, full, GenerationParams::VaeTiling::Off);
  CHECK(relative_error(concat, inpaint_fixture()(inputs()["image_conditioning"])) < kNetworkTolerance);
  CHECK(relative_error(pipeline().encode_latent(source, GenerationParams::VaeTiling::Off),
                       inpaint_fixture()(inputs()["init_latent"])) < kNetworkTolerance);
}

TEST_CASE("the 9-channel UNet matches the reference eps", "[inpaint][unet]") {
  at::InferenceMode inference;
  const auto& c = inpaint_fixture().json()["unet"]["cases"][0];
  std::map<std::string, at::Tensor> features;
  const auto eps = pipeline().model().unet.ptr()->forward(
      inpaint_fixture()(c["unet_input"]), inpaint_fixture()(c["timesteps"]), inpaint_fixture()(c["context"]), {},
      [&](const std::string& name, const at::Tensor& value) { features[name] = value; });
  CHECK(relative_error(eps, inpaint_fixture()(c["eps"])) < kNetworkTolerance);
  for (const auto& [name, key] : c["block_outputs"].items()) {
    INFO(name);
    CHECK(relative_error(features.at(name), inpaint_fixture()(key)) < kNetworkTolerance);
  }
}

TEST_CASE("A1111's masked img2img on the inpainting model, from the prompt and a mask file", "[inpaint][parity]") {
  TempDir dir;
  const auto mask_path = write_mask(dir);
  for (const auto& c : inpaint_fixture().json()["inpaint"]["cases"]) {
    if (c["flow"] != "a1111_img2img_inpaint") continue;
    INFO("case " << c["name"].get<std::string>());
    auto params = case_params(c, inpaint_fixture().path("model.safetensors"));
    params.height = inputs()["image_hw"][0];
    params.width = inputs()["image_hw"][1];
    write_reference_png(dir / "init.png", inpaint_fixture().raw(inputs()["init_image_u8_hwc"]));
    params.init_image = dir / "init.png";
    params.denoising_strength = c["denoising_strength"];
    params.mask = mask_path;
    params.mask_blur = 0;
    const auto results = pipeline().generate(params);
    REQUIRE(results.size() == 1);
    check_generation(results[0], inpaint_fixture(), c["latent"], c["image_u8_hwc"]);
  }
}

TEST_CASE("txt2img from noise with the inpainting conditioning (LDM's concat, no blending)", "[inpaint][parity]") {
  at::InferenceMode inference;
  const auto& c = inpaint_fixture().json()["inpaint"]["cases"][3];
  REQUIRE(c["flow"] == "ldm_txt2img_concat");
  auto params = case_params(c, inpaint_fixture().path("model.safetensors"));
  params.height = params.width = 64;
  auto prompts = pipeline().encode_prompts(params);
  prompts.cond.conditionings.at(0).concat = prompts.uncond.conditionings.at(0).concat =
      pipeline().inpainting_concat(inpaint_fixture()(inputs()["source_image"]), inpaint_fixture()(inputs()["conditioning_mask_full"]),
                                   GenerationParams::VaeTiling::Off);
  const SamplingRun run{choose_sampler(params.sampler, params.schedule),
                        params.steps,
                        params.quantize_timesteps,
                        pipeline().guided_eps(prompts, params.cfg_scale),
                        DiscreteSchedule::scaled_linear(),
                        false,
                        std::nullopt,
                        std::nullopt};
  CpuNoise noise(c["seed"].get<std::uint64_t>());
  const auto latent = run_txt2img(run, noise.randn({1, 4, 8, 8}), noise, {});
  CHECK(relative_error(latent, inpaint_fixture()(c["latent"])) < 1e-3);
  const auto image = tensor_to_image(pipeline().decode(latent, GenerationParams::VaeTiling::Off));
  CHECK(fraction_within_one_level(image, inpaint_fixture().raw(c["image_u8_hwc"])) >= 0.999);
}
