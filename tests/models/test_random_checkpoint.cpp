// Random checkpoints have exactly the layout the loader reads.
#include <catch2/catch.hpp>

#include "core/models/random_checkpoint.h"
#include "core/models/stable_diffusion.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

// The SD1.5 shape in miniature: two levels, attention at the first, one ResBlock per level.
Sd1Architecture tiny_architecture() {
  Sd1Architecture tiny;
  tiny.unet.model_channels = 32;
  tiny.unet.channel_mult = {1, 2};
  tiny.unet.transformer_depth = {1, 0};
  tiny.unet.num_res_blocks = 1;
  tiny.unet.context_dim = 64;
  tiny.vae.ch = 32;
  tiny.vae.ch_mult = {1, 2};
  tiny.vae.attention_levels = {false, false};
  tiny.vae.num_res_blocks = 1;
  tiny.clip.vocab_size = 1000;
  tiny.clip.hidden_size = 64;
  tiny.clip.num_layers = 2;
  tiny.clip.num_heads = 1;
  tiny.clip.intermediate_size = 128;
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
  CHECK(clip.vocab_size == architecture.clip.vocab_size);
  CHECK(clip.hidden_size == architecture.clip.hidden_size);
  CHECK(clip.num_layers == architecture.clip.num_layers);
  CHECK(clip.intermediate_size == architecture.clip.intermediate_size);
  CHECK(clip.max_positions == architecture.clip.max_positions);
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
