// Networks on SD2.x and SDXL, where no fixture network exists: kohya-style files made here
// with random factors, merged by the README's formula (W0 + up·down · alpha/rank · multiplier)
// written out in the test, over the real key forms of each family's text encoders and UNet.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include <map>

#include "core/networks/network_patcher.h"
#include "streamed_weights.h"
#include "support/reference_fixture.h"

using namespace atelier;
using namespace atelier::test;

namespace {

constexpr int64_t kRank = 2;
constexpr double kAlpha = 1.0;

struct Expected {
  std::string weight;       // parameter name within its network
  torch::nn::Module* network;
  int64_t row = 0, rows = -1;  // the rows the module changes (an attention's q, k or v)
  bool text = true;
};

// A LoRA module for a [out, in] target with random factors.
NetworkModuleWeights lora_module(const std::string& key, int64_t out, int64_t in) {
  return {key,
          {{"lora_up.weight", at::randn({out, kRank})},
           {"lora_down.weight", at::randn({kRank, in})},
           {"alpha", at::scalar_tensor(kAlpha)}}};
}

at::Tensor& parameter(torch::nn::Module* network, const std::string& name) {
  return *network->named_parameters().find(name);
}

// Applies `file` at (te, unet) and checks every changed weight against the formula (an
// attention's fused q|k|v weight takes three modules' changes, one per row block), with
// resident or streamed weights (read in to be looked at).
void check_merge(StableDiffusionModel& model, const NetworkFile& file, const std::vector<Expected>& expected,
                 double te, double unet) {
  std::map<std::pair<torch::nn::Module*, std::string>, at::Tensor> originals, wanted;
  for (const AllWeightsIn in(model); const auto& e : expected) {
    const auto key = std::make_pair(e.network, e.weight);
    if (!originals.count(key)) originals[key] = parameter(e.network, e.weight).clone();
  }
  for (const auto& [key, original] : originals) wanted[key] = original.clone();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    const auto& m = file.modules[i];
    const auto delta = at::matmul(*m.part("lora_up.weight"), *m.part("lora_down.weight")) *
                       (kAlpha / kRank) * (e.text ? te : unet);
    auto& want = wanted[{e.network, e.weight}];
    auto rows = e.rows < 0 ? want : want.narrow(0, e.row, e.rows);
    rows.add_(delta.reshape(rows.sizes()));
  }
  NetworkPatcher patcher(model);
  const auto matches = patcher.apply({{"synthetic", std::make_shared<const NetworkFile>(file), te, unet, 0}});
  CHECK(matches.at(0).matched == matches.at(0).modules);
  for (const AllWeightsIn in(model); const auto& [key, want] : wanted) {
    INFO(key.second);
    const auto got = parameter(key.first, key.second);
    CHECK((got - want).abs().max().item<double>() <= 1e-6 * want.abs().max().item<double>());
  }
  patcher.restore();
  for (const AllWeightsIn in(model); const auto& [key, original] : originals)
    CHECK(parameter(key.first, key.second).equal(original));
}

}  // namespace

TEST_CASE("SDXL networks reach CLIP-L, OpenCLIP bigG's fused attention and the UNet", "[addons][lora][sdxl]") {
  at::NoGradGuard no_grad;
  const ReferenceFixture fixture("sdxl-tiny");
  const bool streamed = GENERATE(false, true);
  auto model = load_stable_diffusion(fixture.path("base.safetensors"), {.stream_weights = streamed});
  auto* clip_l = model.text_encoders.at(0).network.get();
  auto* clip_g = model.text_encoders.at(1).network.get();
  auto* unet = model.unet.get();
  const int64_t l = clip_l->config().hidden_size, g = clip_g->config().hidden_size;
  const int64_t g_mlp = clip_g->config().intermediate_size;
  NetworkFile file{"synthetic.safetensors", {}, {}};
  std::vector<Expected> expected;
  const auto add = [&](NetworkModuleWeights module, Expected e) {
    file.modules.push_back(std::move(module));
    expected.push_back(std::move(e));
  };
  add(lora_module("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", l, l),
      {"encoder.layers.0.self_attn.q_proj.weight", clip_l});
  const char* projections[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i)
    add(lora_module(std::string("lora_te2_text_model_encoder_layers_0_self_attn_") + projections[i] + "_proj", g, g),
        {"transformer.resblocks.0.attn.in_proj_weight", clip_g, i * g, g});
  add(lora_module("lora_te2_text_model_encoder_layers_0_self_attn_out_proj", g, g),
      {"transformer.resblocks.0.attn.out_proj.weight", clip_g});
  add(lora_module("lora_te2_text_model_encoder_layers_0_mlp_fc1", g_mlp, g),
      {"transformer.resblocks.0.mlp.c_fc.weight", clip_g});
  // kohya's SDXL files name UNet layers in compvis form; diffusers-style names map by blocks.
  const auto& config = model.info.unet;
  const int block = 1 + (config.num_res_blocks + 1);  // the first block of the second level
  const std::string attention = "input_blocks." + std::to_string(block) + ".1.transformer_blocks.0.attn2.to_k.weight";
  const std::string proj_in = "input_blocks." + std::to_string(block) + ".1.proj_in.weight";
  const auto shape = [&](const std::string& name) {
    const AllWeightsIn in(model);
    return parameter(unet, name).sizes().vec();
  };
  const auto to_k = shape(attention), proj = shape(proj_in);
  add(lora_module("lora_unet_input_blocks_" + std::to_string(block) + "_1_transformer_blocks_0_attn2_to_k",
                  to_k[0], to_k[1]),
      {attention, unet, 0, -1, false});
  add(lora_module("lora_unet_down_blocks_1_attentions_0_proj_in", proj[0], proj[1]),
      {proj_in, unet, 0, -1, false});
  check_merge(model, file, expected, 0.7, 1.3);
}

TEST_CASE("SD2 networks change OpenCLIP's attention only with all of q, k, v and out", "[addons][lora][sd2]") {
  at::NoGradGuard no_grad;
  const ReferenceFixture fixture("sd2-tiny");
  const bool streamed = GENERATE(false, true);
  auto model = load_stable_diffusion(fixture.path("model-v.safetensors"), {.stream_weights = streamed});
  auto* text = model.text_encoders.at(0).network.get();
  const int64_t w = text->config().hidden_size;
  NetworkFile file{"synthetic.safetensors", {}, {}};
  std::vector<Expected> expected;
  const char* projections[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    file.modules.push_back(
        lora_module(std::string("lora_te_text_model_encoder_layers_0_self_attn_") + projections[i] + "_proj", w, w));
    expected.push_back({"transformer.resblocks.0.attn.in_proj_weight", text, i * w, w});
  }
  file.modules.push_back(lora_module("lora_te_text_model_encoder_layers_0_self_attn_out_proj", w, w));
  expected.push_back({"transformer.resblocks.0.attn.out_proj.weight", text});
  check_merge(model, file, expected, 0.8, 1.0);

  // Without out_proj, A1111 leaves the whole attention as it was.
  file.modules.pop_back();
  const auto in_proj = [&] {
    const AllWeightsIn in(model);
    return parameter(text, "transformer.resblocks.0.attn.in_proj_weight").clone();
  };
  const auto before = in_proj();
  NetworkPatcher patcher(model);
  patcher.apply({{"partial", std::make_shared<const NetworkFile>(file), 1.0, 1.0, 0}});
  CHECK(in_proj().equal(before));
}
