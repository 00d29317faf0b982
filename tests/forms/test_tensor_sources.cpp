// The seam every model form goes through: tensor sources, the diffusers key tables, variants.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/diffusers_keys.h"
#include "core/models/model_source.h"
#include "forms/formats_fixture.h"

using namespace atelier;
using namespace atelier::test;

TEST_CASE("in-memory tensors: names, types, and clear errors", "[forms][source]") {
  InMemoryTensors source("/models/x.ckpt", {{"w", at::ones({2, 3}, at::kHalf)},
                                            {"ids", at::arange(4, at::kLong)},
                                            {"d", at::full({2}, 0.5, at::kDouble)},
                                            {"flag", at::ones({1}, at::kBool)}});
  REQUIRE(source.entries().size() == 3);  // no model reads a bool buffer
  CHECK(source.find("w")->dtype == DType::F16);
  CHECK(source.find("w")->shape == std::vector<std::int64_t>{2, 3});
  CHECK(source.find("ids")->dtype == DType::I64);  // never converted to float
  CHECK(source.find("d")->dtype == DType::F32);
  CHECK_FALSE(source.contains("flag"));
  CHECK(at::equal(source.tensor("w", at::kFloat), at::ones({2, 3})));
  CHECK_THROWS_WITH(source.tensor("nope"), Catch::Contains("/models/x.ckpt") && Catch::Contains("nope"));
  CHECK_THROWS_AS(InMemoryTensors("/m.ckpt", {{"a", at::ones({1})}, {"a", at::ones({1})}}), FormatError);
}

TEST_CASE("a renamed view reads through to its sources and names them in messages", "[forms][source]") {
  auto file = std::make_shared<const InMemoryTensors>(
      "/models/vae/weights.bin",
      std::vector<std::pair<std::string, at::Tensor>>{{"to_q.weight", at::arange(4.0).view({2, 2})}});
  RenamedTensors view("/models", {{{"q.weight", DType::F32, {2, 2, 1, 1}}, {{file, "to_q.weight"}}, nullptr}});
  CHECK(view.tensor("q.weight").sizes() == at::IntArrayRef({2, 2, 1, 1}));
  CHECK(at::equal(view.tensor("q.weight").flatten(), at::arange(4.0)));
  CHECK(view.describe("q.weight") == "/models/vae/weights.bin: tensor to_q.weight (q.weight)");
  CHECK_THROWS_WITH(view.tensor("k.weight"), Catch::Contains("/models") && Catch::Contains("k.weight"));
}

TEST_CASE("the key tables map every tensor of the fixture's diffusers table both ways", "[forms][diffusers]") {
  const KeyMap unet = unet_key_map({2, 1, {true, false}});  // the fixture's unet/config.json
  const KeyMap vae = vae_key_map(4, 1);
  std::size_t rows = 0;
  for (const auto& row : formats().json()["diffusers_key_table"]) {
    const std::string component = row["component"], ldm = row["ldm"], diffusers = row["diffusers"];
    INFO(component << ": " << ldm << " <-> " << diffusers);
    if (component == "text_encoder") {
      CHECK(ldm == diffusers);  // under cond_stage_model.transformer.
      continue;
    }
    const KeyMap& names = component == "unet" ? unet : vae;
    const auto renamed = names.to_ldm(diffusers);
    CHECK(renamed.name == ldm);
    CHECK(names.to_diffusers(ldm) == diffusers);
    // Only the VAE's middle attention projections change shape ([C, C] -> [C, C, 1, 1]).
    const bool reshaped = row["ldm_shape"] != row["diffusers_shape"];
    CHECK((renamed.form == StoredForm::LinearForConv && row["diffusers_shape"].size() == 2) == reshaped);
    ++rows;
  }
  CHECK(rows == 208 + 176);
  // diffusers before 0.17 named the VAE attention query/key/value/proj_attn.
  CHECK(vae.to_ldm("decoder.mid_block.attentions.0.proj_attn.weight").name == "decoder.mid.attn_1.proj_out.weight");
  CHECK(vae.to_ldm("encoder.mid_block.attentions.0.query.bias").name == "encoder.mid.attn_1.q.bias");
}

TEST_CASE("a BF16 checkpoint gives the BF16 values, its position_ids left integer", "[forms][variants]") {
  const auto source = open_model_source(formats().path("variants/model-bf16.safetensors"));
  const std::string position_ids = "cond_stage_model.transformer.text_model.embeddings.position_ids";
  check_value_set(*source, "bf16", {}, [&](const std::string& key) { return key == position_ids; });
  CHECK(source->find(position_ids)->dtype == DType::I64);
  CHECK(at::equal(source->tensor(position_ids), at::arange(77, at::kLong).unsqueeze(0)));
}

TEST_CASE("the single file is value set f32 through the seam", "[forms][source]") {
  check_value_set(*open_model_source(tiny_model_path()), "f32");
}
