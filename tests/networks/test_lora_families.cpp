// Networks on SD2.x and SDXL, where no fixture network exists: kohya-style files made here
// with random factors, merged by the README's formula (W0 + up·down · alpha/rank · multiplier)
// written out in the test, over the real key forms of each family's text encoders and UNet.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include <map>

#include "core/error.h"
#include "core/networks/model_layers.h"
#include "core/networks/network_patcher.h"
#include "core/io/safetensors.h"
#include "core/pipeline/pipeline.h"
#include "streamed_weights.h"
#include "support/reference_fixture.h"
#include "support/temp_dir.h"

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

// A LoRA for every linear layer of an SDXL base (CLIP-L's and the UNet's), and what a refiner
// makes of it: the refiner layers of its names whose shapes fit, and how many do not.
struct BaseNetwork {
  NetworkFile file{"base-style.safetensors", {}, {}};
  std::vector<std::pair<std::string, const ModelLayer*>> fitting;  // module key, refiner layer
  int misfits = 0, text_modules = 0;
};

BaseNetwork base_network(const ModelLayers& base, const ModelLayers& refiner) {
  BaseNetwork made;
  for (const auto& [name, layer] : base.all()) {
    if (layer.kind != ModelLayer::Kind::Linear || layer.inside_attention) continue;
    const auto shape = layer.weight_shape();
    std::string key;
    if (layer.text_encoder) {
      // CLIP-L's names go back to Hugging Face's plainly; bigG's attention is fused.
      if (!name.starts_with("0_transformer_text_model_")) continue;
      key = "lora_te1_text_model_" + name.substr(std::string("0_transformer_text_model_").size());
      ++made.text_modules;
    } else {
      key = "lora_unet_" + name.substr(std::string("diffusion_model_").size());
      if (const auto* there = refiner.find(name)) {
        if (there->weight_shape() == shape) made.fitting.emplace_back(key, there);
        else ++made.misfits;
      }
    }
    made.file.modules.push_back(lora_module(key, shape[0], shape[1]));
  }
  // The tiny refiner shares the base's channels but not its context width or levels: some of each.
  REQUIRE(!made.fitting.empty());
  REQUIRE(made.misfits > 0);
  REQUIRE(made.text_modules > 0);
  return made;
}

// A1111 keeps a base model's networks on when the refiner takes over: each changes the
// refiner's layers of its names where their shapes fit, and the others count as its errors.
TEST_CASE("A network on an SDXL refiner changes the layers it fits and counts the rest", "[addons][lora][sdxl]") {
  at::NoGradGuard no_grad;
  const ReferenceFixture fixture("sdxl-tiny");
  const bool streamed = GENERATE(false, true);
  auto base = load_stable_diffusion(fixture.path("base.safetensors"));
  auto refiner = load_stable_diffusion(fixture.path("refiner.safetensors"), {.stream_weights = streamed});
  const ModelLayers base_layers(base), refiner_layers(refiner);
  const auto made = base_network(base_layers, refiner_layers);

  std::map<const ModelLayer*, at::Tensor> originals;
  for (const AllWeightsIn in(refiner); const auto& [name, layer] : refiner_layers.all())
    originals[&layer] = layer.weight().clone();
  const auto network = std::make_shared<const NetworkFile>(made.file);
  const double unet_multiplier = 0.6;

  // The main model's way refuses it, naming a module, and leaves the weights as they were.
  {
    NetworkPatcher strict(refiner);
    CHECK_THROWS_AS(strict.apply({{"base-style", network, 1.0, unet_multiplier, 0}}), FormatError);
    for (const AllWeightsIn in(refiner); const auto& [layer, original] : originals) CHECK(layer->weight().equal(original));
  }

  NetworkPatcher patcher(refiner, Misfits::Skip);
  const auto matches = patcher.apply({{"base-style", network, 1.0, unet_multiplier, 0}});
  REQUIRE(matches.size() == 1);
  CHECK(matches[0].misfits == made.misfits);
  // The text-encoder modules name CLIP-L, which the refiner has not: A1111 finds no layer for them.
  CHECK(matches[0].matched == static_cast<int>(made.fitting.size()) + made.misfits);
  std::map<const ModelLayer*, const NetworkModuleWeights*> changed;
  for (const auto& [key, layer] : made.fitting)
    for (const auto& module : made.file.modules)
      if (module.key == key) changed[layer] = &module;
  for (const AllWeightsIn in(refiner); const auto& [layer, original] : originals) {
    INFO(layer->path);
    const auto found = changed.find(layer);
    if (found == changed.end()) {
      CHECK(layer->weight().equal(original));
      continue;
    }
    const auto& m = *found->second;
    const auto want = original.to(at::kFloat) +
                      at::matmul(*m.part("lora_up.weight"), *m.part("lora_down.weight")) * (kAlpha / kRank) * unet_multiplier;
    const auto got = layer->weight().to(at::kFloat);
    CHECK((got - want).abs().max().item<double>() <= 1e-6 * want.abs().max().item<double>());
  }
  patcher.restore();
  for (const AllWeightsIn in(refiner); const auto& [layer, original] : originals) CHECK(layer->weight().equal(original));
}

TEST_CASE("A generation handed to the refiner says which networks did not fit it", "[addons][lora][sdxl]") {
  at::NoGradGuard no_grad;
  const ReferenceFixture fixture("sdxl-tiny");
  TempDir folder;
  Pipeline pipeline(fixture.path("base.safetensors"), DeviceChoice::Cpu);
  auto base = load_stable_diffusion(fixture.path("base.safetensors"));
  const ModelLayers base_layers(base), refiner_layers(pipeline.refiner(fixture.path("refiner.safetensors")));
  const auto made = base_network(base_layers, refiner_layers);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& module : made.file.modules)
    for (const auto& [part, tensor] : module.parts) tensors.emplace_back(module.key + "." + part, tensor);
  write_safetensors(folder / "base-style.safetensors", tensors);
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(AddonFolderLists{{folder.path()}, {}, {}, {}}));

  GenerationParams params;
  params.model = fixture.path("base.safetensors");
  params.prompt = "a fox <lora:base-style:0.5>";
  params.width = params.height = 64;
  params.steps = 2;
  params.seed = 7;
  params.sampler = "Euler";
  params.refiner = fixture.path("refiner.safetensors");
  params.refiner_switch_at = 0.5;
  const auto notes = pipeline.generate(params).at(0).notes;
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Catch::StartsWith("Networks with errors: base-style (" + std::to_string(made.misfits) + ")"));

  params.prompt = "a fox";
  CHECK(pipeline.generate(params).at(0).notes.empty());
  params.refiner.reset();
  params.prompt = "a fox <lora:base-style:0.5>";
  CHECK(pipeline.generate(params).at(0).notes.empty());  // the base takes it whole
}
