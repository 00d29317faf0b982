// Checkpoint detection: families, sizes, sidecar yaml, and the variants real files carry.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>

#include "core/error.h"
#include "core/models/stable_diffusion.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

const std::string kText = "cond_stage_model.transformer.text_model.";

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() / "atelier-test-checkpoint";
  std::filesystem::create_directories(dir);
  return dir;
}

// The tiny checkpoint rewritten: `rename` maps each key to its new name ("" drops it),
// `change` may replace a tensor, and `extra` tensors are added.
std::filesystem::path write_variant(const std::string& name, const std::function<std::string(std::string)>& rename,
                                    std::vector<std::pair<std::string, at::Tensor>> extra = {},
                                    const std::function<at::Tensor(const std::string&, at::Tensor)>& change = {}) {
  SafetensorsFile source(tiny_model_path());
  std::vector<std::pair<std::string, at::Tensor>> tensors = std::move(extra);
  for (const auto& entry : source.entries()) {
    auto new_name = rename(entry.name);
    if (new_name.empty()) continue;
    auto tensor = source.tensor(entry.name);
    tensors.emplace_back(new_name, change ? change(entry.name, tensor) : tensor);
  }
  auto path = scratch_dir() / (name + ".safetensors");
  std::filesystem::remove(std::filesystem::path(path).replace_extension(".yaml"));
  write_safetensors(path, tensors);
  return path;
}

std::string replace_prefix(std::string key, const std::string& from, const std::string& to) {
  if (key.starts_with(from)) key = to + key.substr(from.size());
  return key;
}

CheckpointInfo inspect(const std::filesystem::path& path) { return inspect_checkpoint(SafetensorsFile(path)); }

}  // namespace

TEST_CASE("the tiny checkpoint is SD1.x with the fixture's sizes", "[checkpoint]") {
  auto info = inspect(tiny_model_path());
  const auto& expected = reference_json()["model"];
  CHECK(info.family == ModelFamily::SD1);
  CHECK(info.supported());
  CHECK(info.sidecar_yaml.has_value());
  CHECK(info.tensor_count == expected["num_tensors"].get<std::size_t>());
  CHECK(info.unet.model_channels == expected["unet"]["model_channels"].get<int>());
  CHECK(info.unet.channel_mult == expected["unet"]["channel_mult"].get<std::vector<int>>());
  CHECK(info.unet.transformer_depth == std::vector<int>{0, expected["unet"]["transformer_depth"].get<int>()});
  CHECK(info.unet.num_res_blocks == expected["unet"]["num_res_blocks"].get<int>());
  CHECK(info.unet.middle_transformer_depth == expected["unet"]["transformer_depth"].get<int>());
  CHECK(info.unet.context_dim == expected["unet"]["context_dim"].get<int>());
  CHECK(info.unet.num_heads == expected["unet"]["num_heads"].get<int>());  // from the yaml
  CHECK(info.vae.ch == expected["vae"]["ch"].get<int>());
  CHECK(info.vae.ch_mult == expected["vae"]["ch_mult"].get<std::vector<int>>());
  CHECK(info.vae.num_res_blocks == expected["vae"]["num_res_blocks"].get<int>());
  CHECK(info.vae.downsample_factor() == 8);
  CHECK(info.vae.scale_factor == expected["scale_factor"].get<double>());
  REQUIRE(info.text_encoders.size() == 1);
  const auto& clip = info.text_encoders[0].config;
  CHECK(clip.hidden_size == expected["clip_text"]["hidden_size"].get<int>());
  CHECK(clip.num_layers == expected["clip_text"]["num_hidden_layers"].get<int>());
  CHECK(clip.num_heads == expected["clip_text"]["num_attention_heads"].get<int>());
  CHECK(clip.intermediate_size == expected["clip_text"]["intermediate_size"].get<int>());
  CHECK(info.dtype_counts.at("F32") == info.tensor_count);
}

TEST_CASE("without a sidecar yaml, SD1 defaults apply", "[checkpoint]") {
  auto path = write_variant("no-yaml", [](std::string key) { return key; });
  auto info = inspect(path);
  CHECK(info.family == ModelFamily::SD1);
  CHECK_FALSE(info.sidecar_yaml.has_value());
  CHECK(info.unet.num_heads == 8);
  CHECK(info.unet.transformer_depth == std::vector<int>{0, 1});  // from the shapes
}

TEST_CASE("real-file variants load: position_ids, model_ema, old text encoder names", "[checkpoint]") {
  at::InferenceMode inference;
  auto path = write_variant(
      "variants", [](std::string key) { return replace_prefix(key, kText, "cond_stage_model.transformer."); },
      {{"cond_stage_model.transformer.embeddings.position_ids", at::arange(77, at::kLong).unsqueeze(0)},
       {"model_ema.decay", at::scalar_tensor(0.9999)},
       {"model_ema.num_updates", at::scalar_tensor(1000, at::kInt)}});
  std::filesystem::copy_file(data_path("sd1-tiny/model.yaml"), std::filesystem::path(path).replace_extension(".yaml"));
  auto variant = load_stable_diffusion(path);
  auto reference_model = load_stable_diffusion(tiny_model_path());
  CHECK(variant.info.text_encoders.at(0).prefix == "cond_stage_model.transformer.");
  auto ids = reference_tensors().tensor("text.0.ids", at::kLong);
  CHECK(at::equal(variant.text_encoders.at(0).network->forward(ids),
                  reference_model.text_encoders.at(0).network->forward(ids)));
}

TEST_CASE("a text encoder not laid out as its family's is refused naming the tensor", "[checkpoint]") {
  struct Case {
    std::string name;
    std::string prefix;
    ModelFamily family;
  };
  // SD1's CLIP tensors under the OpenCLIP prefixes of SD2 and SDXL: the family is told by the
  // prefix, and the missing OpenCLIP tensor is named.
  const std::vector<Case> cases{
      {"sd2", "cond_stage_model.model.", ModelFamily::SD2},
      {"sdxl-base", "conditioner.embedders.1.model.", ModelFamily::SDXLBase},
      {"sdxl-refiner", "conditioner.embedders.0.model.", ModelFamily::SDXLRefiner},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto path = write_variant(c.name, [&](std::string k) { return replace_prefix(k, kText, c.prefix); });
    auto info = inspect(path);
    CHECK(info.family == c.family);
    CHECK_FALSE(info.supported());
    CHECK_THAT(info.unsupported_reason, Catch::Contains("token_embedding.weight is missing"));
    CHECK_THROWS_WITH(require_supported(info), Catch::Contains(path.string()));
    CHECK_THROWS_AS(load_stable_diffusion(path), UnsupportedModel);
  }
}

TEST_CASE("inpainting checkpoints (9 input channels) are detected", "[checkpoint]") {
  auto path = write_variant("inpainting", [](std::string k) { return k; }, {},
                            [](const std::string& name, at::Tensor t) {
                              if (name != "model.diffusion_model.input_blocks.0.0.weight") return t;
                              return at::cat({t, t, t.narrow(1, 0, 1)}, 1);
                            });
  auto info = inspect(path);
  CHECK(info.family == ModelFamily::SD1);
  CHECK(info.inpainting);
  CHECK(info.supported());
  CHECK(info.description() == "SD1.x inpainting (epsilon)");
}

TEST_CASE("files that are not checkpoints say what they are", "[checkpoint]") {
  auto vae = write_variant("vae-only", [](std::string k) {
    return k.starts_with("first_stage_model.") ? k.substr(std::string("first_stage_model.").size()) : std::string();
  });
  CHECK_THAT(inspect(vae).unsupported_reason, Catch::Contains("standalone VAE"));
  auto text_only = write_variant("text-only", [](std::string k) { return k.starts_with(kText) ? k : std::string(); });
  CHECK_THAT(inspect(text_only).unsupported_reason, Catch::Contains("no UNet"));
}

TEST_CASE("a missing or mis-shaped tensor is named", "[checkpoint]") {
  const std::string dropped = "model.diffusion_model.out.0.weight";
  auto missing = write_variant("missing", [&](std::string k) { return k == dropped ? std::string() : k; });
  CHECK_THROWS_WITH(load_stable_diffusion(missing), Catch::Contains(dropped) && Catch::Contains("missing"));
  // Streamed weights are checked when the model loads, not when a stage first runs.
  LoadOptions streamed;
  streamed.stream_weights = true;
  CHECK_THROWS_WITH(load_stable_diffusion(missing, streamed),
                    Catch::Contains(dropped) && Catch::Contains("missing"));

  const std::string reshaped = "first_stage_model.decoder.conv_out.bias";
  auto misshaped = write_variant("misshaped", [](std::string k) { return k; }, {},
                                 [&](const std::string& name, at::Tensor t) { return name == reshaped ? at::cat({t, t}) : t; });
  CHECK_THROWS_WITH(load_stable_diffusion(misshaped), Catch::Contains(reshaped) && Catch::Contains("shape"));
  CHECK_THROWS_WITH(load_stable_diffusion(misshaped, streamed),
                    Catch::Contains(reshaped) && Catch::Contains("shape"));
}
