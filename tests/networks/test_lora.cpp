// LoRA and LyCORIS networks against A1111's arithmetic (sd1-tiny-networks): the merged weights,
// the text encoder's states, multiplier 0 and exact restoration.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include "addon_fixture.h"
#include "core/networks/network_patcher.h"
#include "core/pipeline/prompt_conditioning.h"
#include "streamed_weights.h"

using namespace atelier;
using namespace atelier::test;

namespace {

// Resident weights, or streamed ones (low memory), which networks change as they are read in.
StableDiffusionModel fresh_model(bool streamed = false) {
  return load_stable_diffusion(tiny_model_path(), {.stream_weights = streamed});
}

AppliedNetwork applied(const std::string& name, double te, double unet) {
  auto file = fixture_network(name);
  REQUIRE(file);
  return {name, file, te, unet, 0};
}

bool bitwise_equal(const std::map<std::string, at::Tensor>& a, const std::map<std::string, at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a)
    if (!b.count(name) || !tensor.equal(b.at(name))) return false;
  return true;
}

std::map<std::string, at::Tensor> snapshot(StableDiffusionModel& model) {
  const AllWeightsIn in(model);
  std::map<std::string, at::Tensor> copy;
  for (const auto& [name, tensor] : all_weights(model)) copy[name] = tensor.clone();
  return copy;
}

}  // namespace

TEST_CASE("each network merges into the weights as A1111 merges it", "[addons][lora]") {
  const bool streamed = GENERATE(false, true);
  auto model = fresh_model(streamed);
  NetworkPatcher patcher(model);
  for (const auto& c : networks_fixture().json()["merged_weights"]) {
    const std::string network = c["network"];
    const double te = c["te_multiplier"], unet = c["unet_multiplier"];
    INFO(network << " te " << te << " unet " << unet << (streamed ? " streamed" : ""));
    patcher.apply({applied(network, te, unet)});
    const AllWeightsIn in(model);
    for (const auto& [key, reference_key] : c["weights"].items()) {
      INFO(key);
      const auto merged = model_tensor(model, key);
      const auto expected = networks_fixture()(reference_key);
      if (te == 0 && unet == 0)
        CHECK(merged.equal(expected));
      else
        CHECK(relative_error(merged, expected) < 1e-6);
    }
  }
}

TEST_CASE("every module of every fixture network finds its layer", "[addons][lora]") {
  auto model = fresh_model();
  NetworkPatcher patcher(model);
  for (const auto& network : networks_fixture().json()["networks"]) {
    INFO(network["name"].get<std::string>());
    const auto matches = patcher.apply({applied(network["name"], 1.0, 1.0)});
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].matched == matches[0].modules);
    CHECK(matches[0].modules == static_cast<int>(network["modules"].size()));
  }
}

TEST_CASE("the text encoder's states with each network match A1111's", "[addons][lora]") {
  at::InferenceMode inference;
  const bool streamed = GENERATE(false, true);
  auto model = fresh_model(streamed);
  NetworkPatcher patcher(model);
  // Streamed, as the pipeline encodes: the blocks read in one by one, the rest around them.
  const auto encode = [&](const std::string& prompt) {
    const TextEncodersInUse in_use(model);
    return PromptEncoder(model.text_encoders[0], ClipTokenizer::bundled(), 1).encode(prompt);
  };
  const auto& cases = networks_fixture().json()["text_encoder"];
  const std::string prompt = cases["prompt"];
  CHECK(relative_error(encode(prompt), networks_fixture()(cases["base"]["last_hidden_state"])) < 1e-4);
  for (const auto& c : cases["cases"]) {
    INFO(c["network"].get<std::string>() << " te " << c["te_multiplier"].get<double>() << (streamed ? " streamed" : ""));
    patcher.apply({applied(c["network"], c["te_multiplier"], c["unet_multiplier"])});
    CHECK(relative_error(encode(prompt), networks_fixture()(c["last_hidden_state"])) < 1e-4);
  }
}

TEST_CASE("multiplier 0 leaves every weight bitwise as loaded", "[addons][lora]") {
  const bool streamed = GENERATE(false, true);
  auto model = fresh_model(streamed);
  const auto original = snapshot(model);
  NetworkPatcher patcher(model);
  for (const auto& network : networks_fixture().json()["networks"]) {
    patcher.apply({applied(network["name"], 0.0, 0.0)});
    CHECK(bitwise_equal(snapshot(model), original));
  }
}

TEST_CASE("stacked networks add in prompt order, and a thousand switches restore exactly", "[addons][lora]") {
  const bool streamed = GENERATE(false, true);
  auto model = fresh_model(streamed);
  const auto original = snapshot(model);
  NetworkPatcher patcher(model);
  const std::vector<std::vector<AppliedNetwork>> sets{
      {applied("tiny_lora", 0.6, 0.6), applied("tinycompvis", 0.5, 1.2)},
      {applied("tiny_loha", 0.7, 0.7), applied("tiny_lokr", 0.5, 1.1)},
      {applied("tiny_lora_diffusers", 1.0, 1.0)},
      {},
  };
  patcher.apply(sets[0]);
  const auto stacked = snapshot(model);
  CHECK_FALSE(bitwise_equal(stacked, original));
  for (int i = 0; i < 1000; ++i) patcher.apply(sets[i % sets.size()]);
  patcher.apply(sets[0]);
  CHECK(bitwise_equal(snapshot(model), stacked));
  patcher.restore();
  CHECK(bitwise_equal(snapshot(model), original));
  auto reloaded = fresh_model(streamed);
  CHECK(bitwise_equal(snapshot(reloaded), original));
}

TEST_CASE("a network that does not fit its layer is refused and the model keeps its weights", "[addons][lora]") {
  const bool streamed = GENERATE(false, true);  // streamed weights: refused before they are read in
  auto model = fresh_model(streamed);
  const auto original = snapshot(model);
  NetworkPatcher patcher(model);
  auto broken = std::make_shared<NetworkFile>(*fixture_network("tiny_lora"));
  for (auto& module : broken->modules)
    if (module.key == "lora_unet_mid_block_attentions_0_proj_in")
      module.parts["lora_up.weight"] = at::ones({7, 4, 1, 1});
  CHECK_THROWS_WITH(patcher.apply({{"broken", broken, 1.0, 1.0, 0}}),
                    Catch::Contains("lora_unet_mid_block_attentions_0_proj_in"));
  CHECK(bitwise_equal(snapshot(model), original));
}

TEST_CASE("module types Atelier does not apply are refused by name, not applied wrongly", "[addons][lora]") {
  auto model = fresh_model();
  NetworkPatcher patcher(model);
  auto dora = std::make_shared<NetworkFile>(*fixture_network("tiny_lora"));
  dora->modules[0].parts["dora_scale"] = at::ones({1});
  CHECK_THROWS_WITH(patcher.apply({{"dora", dora, 1.0, 1.0, 0}}),
                    Catch::Contains(dora->modules[0].key) && Catch::Contains("DoRA"));
  auto ia3 = std::make_shared<NetworkFile>(NetworkFile{"ia3.safetensors", {}, {}});
  ia3->modules.push_back({dora->modules[0].key, {{"weight", at::ones({4})}, {"on_input", at::zeros({})}}});
  CHECK_THROWS_WITH(patcher.apply({{"ia3", ia3, 1.0, 1.0, 0}}), Catch::Contains("on_input"));
}
