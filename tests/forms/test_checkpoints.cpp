// Legacy pickle checkpoints (.ckpt) load as the single file: the same tensors after A1111's
// key rules, the same image; hostile ones are refused with the reader's own error.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/io/torch_checkpoint.h"
#include "core/models/model_source.h"
#include "core/models/standalone_vae.h"
#include "core/pipeline/pipeline.h"
#include "forms/formats_fixture.h"
#include "support/parity.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kPositionIds = "cond_stage_model.transformer.text_model.embeddings.position_ids";

// The keys a file's outcome says to ignore (reference.json -> files.<file>.outcome.ignore_keys).
std::set<std::string> ignored_keys(const std::string& file) {
  std::set<std::string> keys;
  for (const auto& [key, reason] : formats().json()["files"][file]["outcome"]["ignore_keys"].items()) keys.insert(key);
  return keys;
}

// The fixture's pickle beside a copy of the base model's yaml (head counts shapes cannot tell),
// as a user keeps a checkpoint's config.
fs::path with_yaml(const TempDir& dir, const std::string& file) {
  const fs::path copy = dir / fs::path(file).filename();
  fs::copy_file(formats().path(file), copy);
  fs::copy_file(data_path("sd1-tiny/model.yaml"), fs::path(copy).replace_extension(".yaml"));
  return copy;
}

}  // namespace

TEST_CASE("the zip .ckpt gives value set f16 with its F32 schedule buffers, each tensor in its own type",
          "[forms][ckpt]") {
  const auto source = open_model_source(formats().path("ckpt/model.ckpt"));
  const auto& outcome = formats().json()["files"]["ckpt/model.ckpt"]["outcome"];
  const auto ignored = ignored_keys("ckpt/model.ckpt");
  check_value_set(*source, "f16", {}, [&](const std::string& key) { return ignored.count(key) > 0; },
                  outcome["value_set_overrides"].get<std::map<std::string, std::string>>());
  CHECK(source->find("model.diffusion_model.out.2.weight")->dtype == DType::F16);
  CHECK(source->find("first_stage_model.decoder.conv_out.weight")->dtype == DType::F32);
  CHECK(source->find(kPositionIds)->dtype == DType::I64);  // never made a float weight
}

TEST_CASE("the legacy .ckpt gives value set f16 after A1111's rename; its EMA shadows stay apart", "[forms][ckpt]") {
  const auto source = open_model_source(formats().path("ckpt/model-legacy.ckpt"));
  const auto& ema = formats().json()["value_sets"]["ema_f16"]["sha256_f32"];
  check_value_set(*source, "f16", {}, [&](const std::string& key) {
    return key == kPositionIds || key == "model_ema.decay" || key == "model_ema.num_updates" || ema.contains(key);
  });
  // Old CLIP names are gone, renamed at their prefix only; the shadows keep their own values.
  for (const auto& entry : source->entries()) CHECK_FALSE(entry.name.starts_with("cond_stage_model.transformer.embeddings."));
  for (const auto& [key, hash] : ema.items()) {
    INFO(key);
    REQUIRE(source->contains(key));
    CHECK(value_hash(source->tensor(key)) == hash.get<std::string>());
  }
}

TEST_CASE("every .ckpt form generates the single file's image, bit for bit", "[forms][ckpt]") {
  Pipeline from_file(tiny_model_path(), DeviceChoice::Cpu);
  const auto reference = from_file.generate(sampling_case(tiny_model_path()));
  for (const char* file : {"ckpt/model.ckpt", "ckpt/model-legacy.ckpt"}) {
    INFO(file);
    TempDir dir;
    const fs::path model = with_yaml(dir, file);
    Pipeline from_ckpt(model, DeviceChoice::Cpu);
    const auto ours = from_ckpt.generate(sampling_case(model));
    CHECK(at::equal(ours[0].latent, reference[0].latent));
    CHECK(ours[0].image.rgb == reference[0].image.rgb);
  }
}

TEST_CASE("the .ckpt VAE gives the replacement's tensors and image", "[forms][ckpt][vae]") {
  const auto path = formats().path("vae/vae-tiny-ft-mse.ckpt");
  check_value_set(*open_standalone_vae(path), "override_vae_f32");  // loss.* and model_ema.* left out
  const auto safetensors = formats().path("vae/vae-tiny-ft-mse.safetensors");
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  auto params = sampling_case(tiny_model_path());
  params.vae = path.string();
  const auto ours = pipeline.generate(params);
  params.vae = safetensors.string();
  const auto reference = pipeline.generate(params);
  CHECK(ours[0].image.rgb == reference[0].image.rgb);
  CHECK(ours[0].params.vae_name == "vae-tiny-ft-mse.ckpt");
}

TEST_CASE("hostile pickles are refused with the reader's FormatError, unchanged", "[forms][ckpt]") {
  for (const auto& entry : fs::directory_iterator(formats().path("malicious"))) {
    INFO(entry.path().string());
    std::string reader_error;
    try {
      read_torch_state_dict(entry.path());
    } catch (const FormatError& e) {
      reader_error = e.what();
    }
    REQUIRE_FALSE(reader_error.empty());
    CHECK_THROWS_AS(load_stable_diffusion(entry.path()), FormatError);
    CHECK_THROWS_WITH(load_stable_diffusion(entry.path()), reader_error);
    CHECK_THROWS_WITH(inspect_checkpoint(entry.path()), reader_error);
    auto model = load_stable_diffusion(tiny_model_path());
    CHECK_THROWS_WITH(use_vae(model, entry.path()), reader_error);
  }
}
