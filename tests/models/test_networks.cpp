// Parity of the three networks with the reference fixtures (single evaluations, F32).
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/stable_diffusion.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

constexpr double kNetworkTolerance = 1e-4;  // relative to the largest reference magnitude

StableDiffusionModel& tiny_model() {
  static StableDiffusionModel model = load_stable_diffusion(tiny_model_path());
  return model;
}

}  // namespace

TEST_CASE("text encoder matches the reference hidden states", "[models][clip]") {
  at::InferenceMode inference;
  auto& encoder = tiny_model().text_encoders.at(0).network;
  for (const auto& c : reference_json()["text_encoder"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    auto ids = reference_tensors().tensor(c["ids"].get<std::string>(), at::kLong);
    CHECK(relative_error(encoder->forward(ids), reference(c["last_hidden_state"])) < kNetworkTolerance);
    CHECK(relative_error(encoder->forward(ids, /*clip_skip=*/2), reference(c["penultimate_normed"])) <
          kNetworkTolerance);
    if (c.contains("hidden_states")) {
      auto states = encoder->hidden_states(ids);
      REQUIRE(states.size() == c["hidden_states"].size());
      for (std::size_t i = 0; i < states.size(); ++i)
        CHECK(relative_error(states[i], reference(c["hidden_states"][i])) < kNetworkTolerance);
    }
  }
}

TEST_CASE("clip skip beyond the layer count is refused", "[models][clip]") {
  at::InferenceMode inference;
  auto ids = at::full({1, 77}, 49407, at::kLong);
  CHECK_THROWS_AS(tiny_model().text_encoders.at(0).network->forward(ids, 3), InvalidArgument);
  CHECK_THROWS_AS(tiny_model().text_encoders.at(0).network->forward(ids, 0), InvalidArgument);
}

TEST_CASE("UNet matches the reference eps and block outputs", "[models][unet]") {
  at::InferenceMode inference;
  auto& unet = tiny_model().unet;
  for (const auto& c : reference_json()["unet"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    std::map<std::string, at::Tensor> features;
    auto eps = unet->forward(reference(c["x"]), reference(c["timesteps"]), reference(c["context"]), {},
                             [&](const std::string& name, const at::Tensor& value) { features[name] = value; });
    CHECK(relative_error(eps, reference(c["eps"])) < kNetworkTolerance);
    CHECK(relative_error(features["t_emb"], reference(c["t_emb"])) < kNetworkTolerance);
    CHECK(relative_error(features["time_embed"], reference(c["time_embed"])) < kNetworkTolerance);
    if (c.contains("block_outputs")) {
      for (const auto& [name, key] : c["block_outputs"].items()) {
        INFO("block " << name);
        REQUIRE(features.count(name));
        CHECK(relative_error(features[name], reference(key)) < kNetworkTolerance);
      }
    }
  }
}

TEST_CASE("UNet with every convolution packed for oneDNN matches the reference eps", "[models][unet]") {
  // The tiny model's channels are below the loader's packing threshold: pack them all here.
  auto packed = load_stable_diffusion(tiny_model_path());
  pack_convolutions_for_onednn(*packed.unet, /*min_in_channels=*/0);
  at::InferenceMode inference;
  for (const auto& c : reference_json()["unet"]["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    auto eps = packed.unet->forward(reference(c["x"]), reference(c["timesteps"]), reference(c["context"]));
    CHECK(relative_error(eps, reference(c["eps"])) < kNetworkTolerance);
  }
}

TEST_CASE("VAE decode and encode match the reference", "[models][vae]") {
  at::InferenceMode inference;
  auto& vae = tiny_model().vae;
  const auto& decode = reference_json()["vae"]["decode"];
  CHECK(relative_error(vae->decode(reference(decode["latent_unscaled"])), reference(decode["image"])) <
        kNetworkTolerance);
  CHECK(relative_error(reference(decode["latent_scaled"]) / vae->config().scale_factor,
                       reference(decode["latent_unscaled"])) < 1e-6);

  const auto& encode = reference_json()["vae"]["encode"];
  auto posterior = vae->encode(reference(encode["image"]));
  CHECK(relative_error(posterior.mean, reference(encode["mean"])) < kNetworkTolerance);
  CHECK(relative_error(posterior.logvar, reference(encode["logvar"])) < kNetworkTolerance);
  CHECK(relative_error(posterior.mean * vae->config().scale_factor, reference(encode["latent_scaled"])) <
        kNetworkTolerance);
}

TEST_CASE("the fp16 checkpoint gives the same network outputs as the fp32 one", "[models]") {
  at::InferenceMode inference;
  auto half = load_stable_diffusion(tiny_fp16_model_path());
  const auto& c = reference_json()["unet"]["cases"][0];
  auto x = reference(c["x"]), t = reference(c["timesteps"]), context = reference(c["context"]);
  CHECK(half.info.sidecar_yaml == data_path("sd1-tiny/model.yaml"));
  CHECK(at::equal(half.unet->forward(x, t, context), tiny_model().unet->forward(x, t, context)));
}

TEST_CASE("UNet at sizes the downsampling does not divide matches LDM with A1111's resize", "[models][unet]") {
  at::InferenceMode inference;
  const SafetensorsFile odd(data_path("odd-sizes/reference.safetensors"));
  for (const std::string size : {"9x7", "25x24"}) {
    INFO(size);
    auto tensor = [&](const std::string& name) { return odd.tensor(size + "." + name, at::kFloat); };
    const auto eps = tiny_model().unet->forward(tensor("x"), tensor("timesteps"), tensor("context"));
    CHECK(relative_error(eps, tensor("eps")) < kNetworkTolerance);
  }
}
