// Random checkpoints have exactly the layout the loader reads.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/random_checkpoint.h"
#include "core/models/stable_diffusion.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

// The SD1.5 shape in miniature: two levels, attention at the first, one ResBlock per level.
Architecture tiny_architecture() {
  Architecture tiny;
  tiny.unet.model_channels = 32;
  tiny.unet.channel_mult = {1, 2};
  tiny.unet.transformer_depth = {1, 0};
  tiny.unet.num_res_blocks = 1;
  tiny.unet.context_dim = 64;
  tiny.vae.ch = 32;
  tiny.vae.ch_mult = {1, 2};
  tiny.vae.attention_levels = {false, false};
  tiny.vae.num_res_blocks = 1;
  ClipTextConfig clip;
  clip.vocab_size = 1000;
  clip.hidden_size = 64;
  clip.num_layers = 2;
  clip.num_heads = 1;
  clip.intermediate_size = 128;
  tiny.text_encoders = {sd1_text_encoder(clip)};
  return tiny;
}

}  // namespace

TEST_CASE("a random checkpoint reads back with the sizes it was made with", "[models][random]") {
  TempDir dir;
  const auto path = dir / "tiny.safetensors";
  const auto architecture = tiny_architecture();
  write_random_checkpoint(path, architecture, c10::kHalf, 7);

  const auto info = inspect_checkpoint(SafetensorsFile(path));
  REQUIRE(info.supported());
  CHECK(info.family == ModelFamily::SD1);
  CHECK(info.dtype_counts.size() == 1);
  CHECK(info.dtype_counts.count("F16") == 1);
  CHECK(info.unet.model_channels == architecture.unet.model_channels);
  CHECK(info.unet.channel_mult == architecture.unet.channel_mult);
  CHECK(info.unet.transformer_depth == architecture.unet.transformer_depth);
  CHECK(info.unet.num_res_blocks == architecture.unet.num_res_blocks);
  CHECK(info.unet.context_dim == architecture.unet.context_dim);
  CHECK(info.vae.ch == architecture.vae.ch);
  CHECK(info.vae.ch_mult == architecture.vae.ch_mult);
  CHECK(info.vae.attention_levels == architecture.vae.attention_levels);
  CHECK(info.vae.num_res_blocks == architecture.vae.num_res_blocks);
  REQUIRE(info.text_encoders.size() == 1);
  const auto& clip = info.text_encoders[0].config;
  const auto& expected = architecture.text_encoders[0].config;
  CHECK(clip.vocab_size == expected.vocab_size);
  CHECK(clip.hidden_size == expected.hidden_size);
  CHECK(clip.num_layers == expected.num_layers);
  CHECK(clip.intermediate_size == expected.intermediate_size);
  CHECK(clip.max_positions == expected.max_positions);
}

TEST_CASE("a random checkpoint loads and runs to finite outputs", "[models][random]") {
  TempDir dir;
  const auto path = dir / "tiny.safetensors";
  write_random_checkpoint(path, tiny_architecture(), c10::kFloat, 7);
  auto model = load_stable_diffusion(path);

  at::InferenceMode inference;
  auto context = model.text_encoders.at(0).network->forward(at::arange(77, at::kLong).unsqueeze(0));
  auto eps = model.unet->forward(at::randn({1, 4, 16, 16}), at::tensor({500}), context);
  auto image = model.vae->decode(eps);
  CHECK(eps.isfinite().all().item<bool>());
  CHECK(image.sizes() == at::IntArrayRef{1, 3, 32, 32});
  CHECK(image.isfinite().all().item<bool>());
  CHECK(eps.std().item<double>() > 0);
}

TEST_CASE("a seed always gives the same checkpoint", "[models][random]") {
  TempDir dir;
  write_random_checkpoint(dir / "a.safetensors", tiny_architecture(), c10::kFloat, 3);
  write_random_checkpoint(dir / "b.safetensors", tiny_architecture(), c10::kFloat, 3);
  write_random_checkpoint(dir / "c.safetensors", tiny_architecture(), c10::kFloat, 4);
  SafetensorsFile a(dir / "a.safetensors"), b(dir / "b.safetensors"), c(dir / "c.safetensors");
  const std::string name = "model.diffusion_model.input_blocks.0.0.weight";
  CHECK(a.tensor(name).equal(b.tensor(name)));
  CHECK_FALSE(a.tensor(name).equal(c.tensor(name)));
}

namespace {

// SD2 and SDXL in miniature with the released 64-wide heads, so no yaml is needed.
Architecture small_family(const std::string& family) {
  Architecture a = released_architecture(family);
  a.unet.model_channels = 64;
  a.unet.channel_mult = {1, 2};
  a.unet.num_res_blocks = 1;
  a.unet.transformer_depth = {1, 1};
  a.unet.middle_transformer_depth = 1;
  a.vae = tiny_architecture().vae;
  for (auto& encoder : a.text_encoders) {
    encoder.config.hidden_size = 64;
    encoder.config.num_layers = 2;
    encoder.config.num_heads = 1;
    encoder.config.intermediate_size = 128;
    encoder.config.vocab_size = 1000;
    if (encoder.config.projection_dim > 0) encoder.config.projection_dim = 32;
  }
  a.unet.context_dim = 64 * static_cast<int>(a.text_encoders.size());
  if (a.unet.adm_in_channels > 0) a.unet.adm_in_channels = 32 + 6 * 256;
  a.yaml.clear();
  return a;
}

}  // namespace

TEST_CASE("SD2 and SDXL shaped random checkpoints are detected and load without a yaml", "[models][random]") {
  at::InferenceMode inference;
  TempDir dir;
  const auto sd2 = dir / "sd2.safetensors";
  write_random_checkpoint(sd2, small_family("sd21v"), c10::kFloat, 5);
  auto sd2_info = inspect_checkpoint(SafetensorsFile(sd2));
  REQUIRE(sd2_info.supported());
  CHECK(sd2_info.family == ModelFamily::SD2);
  CHECK_FALSE(sd2_info.prediction_from_config);
  CHECK(sd2_info.unet.num_head_channels == 64);
  // Without a yaml the loader applies A1111's test on the UNet, and the model then says which.
  auto sd2_model = load_stable_diffusion(sd2);
  CHECK(sd2_model.info.prediction_from_config);
  CHECK(sd2_model.info.prediction ==
        (is_v_prediction_sd2(*sd2_model.unet) ? Prediction::V : Prediction::Epsilon));

  const auto sdxl = dir / "sdxl.safetensors";
  write_random_checkpoint(sdxl, small_family("sdxl"), c10::kFloat, 6);
  auto model = load_stable_diffusion(sdxl);
  CHECK(model.info.family == ModelFamily::SDXLBase);
  CHECK(model.info.vae.scale_factor == 0.13025);
  REQUIRE(model.text_encoders.size() == 2);
  const auto eps = model.unet->forward(at::randn({1, 4, 8, 8}), at::tensor({500}), at::randn({1, 77, 128}),
                                       at::randn({1, 32 + 6 * 256}));
  CHECK(eps.isfinite().all().item<bool>());
  CHECK_THROWS_WITH(model.unet->forward(at::randn({1, 4, 8, 8}), at::tensor({500}), at::randn({1, 77, 128})),
                    Catch::Contains("conditioning vector of width 1568"));
}

TEST_CASE("the released families' sizes are known by name", "[models][random]") {
  CHECK(released_architecture("sdxl").unet.transformer_depth == std::vector<int>{0, 2, 10});
  CHECK(released_architecture("sdxl").unet.adm_in_channels == 2816);
  CHECK(released_architecture("sdxl-refiner").unet.adm_in_channels == 2560);
  CHECK(released_architecture("sd21v").text_encoders.at(0).config.num_heads == 16);
  CHECK_THROWS_AS(released_architecture("sd3"), InvalidArgument);
}
