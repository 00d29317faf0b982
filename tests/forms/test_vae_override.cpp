// A replacement VAE, as A1111 loads one: the forms it comes in, the choice (Automatic, None, a
// file), and the references decoded, encoded and generated through the real pipeline.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/models/standalone_vae.h"
#include "core/pipeline/pipeline.h"
#include "core/pipeline/vae_choice.h"
#include "forms/formats_fixture.h"
#include "support/parity.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;
namespace fs = std::filesystem;

namespace {

// The replacement VAE in each form the fixture has it.
std::vector<fs::path> override_vaes() {
  return {formats().path("vae/vae-tiny-ft-mse.safetensors"), formats().path("vae/diffusers")};
}

GenerationParams override_txt2img(const std::string& vae) {
  const auto& c = formats().json()["vae_override"]["txt2img"];
  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = c["prompt"];
  params.negative_prompt = c["negative_prompt"];
  params.seed = c["seed"];
  params.width = c["width"];
  params.height = c["height"];
  params.steps = c["steps"];
  params.cfg_scale = c["cfg"];
  std::tie(params.sampler, params.schedule) = a1111_sampler("euler");
  params.quantize_timesteps = true;
  params.device = DeviceChoice::Cpu;
  params.vae = vae;
  return params;
}

// Decodes and encodes the references with `model`'s VAE as it stands.
void check_vae(StableDiffusionModel& model, const std::string& which) {
  at::InferenceMode inference;
  const WeightsInUse weights(model.vae_weights.get(), *model.vae);
  const auto& f = formats();
  const auto decoded = model.vae->decode(f("vae_override.decode.latent_scaled") / model.vae->config().scale_factor);
  CHECK(relative_error(decoded, f("vae_override.decode.image_" + which)) < 1e-4);
  const auto posterior = model.vae->encode(f("vae_override.encode.image"));
  CHECK(relative_error(posterior.mean, f("vae_override.encode.mean_" + which)) < 1e-4);
  if (which == "override_vae")
    CHECK(relative_error(posterior.logvar, f("vae_override.encode.logvar_override_vae")) < 1e-4);
}

}  // namespace

TEST_CASE("every form of the replacement VAE gives its tensors, training state left out", "[forms][vae]") {
  for (const auto& path : override_vaes()) {
    INFO(path.string());
    check_value_set(*open_standalone_vae(path), "override_vae_f32");
  }
  // A whole checkpoint given as a VAE gives its first_stage_model, unprefixed.
  const auto from_checkpoint = open_standalone_vae(tiny_model_path());
  const SafetensorsFile base(tiny_model_path());
  CHECK(from_checkpoint->entries().size() == 176);
  CHECK(at::equal(from_checkpoint->tensor("decoder.conv_out.weight"), base.tensor("first_stage_model.decoder.conv_out.weight")));
}

TEST_CASE("the replacement decodes and encodes as the reference, and None puts the model's own back", "[forms][vae]") {
  for (const bool streamed : {false, true}) {
    INFO((streamed ? "streamed" : "resident"));
    LoadOptions options;
    options.stream_weights = streamed;
    auto model = load_stable_diffusion(tiny_model_path(), options);
    check_vae(model, "base_vae");
    for (const auto& path : override_vaes()) {
      INFO(path.string());
      use_vae(model, path);
      CHECK(model.vae_file == path);
      check_vae(model, "override_vae");
    }
    use_vae(model, std::nullopt);
    CHECK_FALSE(model.vae_file);
    check_vae(model, "base_vae");
  }
}

TEST_CASE("txt2img with the replacement VAE gives the reference image; the latent is unchanged", "[forms][vae]") {
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  const auto& f = formats();
  for (const auto& path : override_vaes()) {
    INFO(path.string());
    const auto results = pipeline.generate(override_txt2img(path.string()));
    REQUIRE(results.size() == 1);
    CHECK(relative_error(results[0].latent, f("txt2img.latent")) < 1e-3);
    CHECK(fraction_within_one_level(results[0].image, f.raw("txt2img.image_override_vae_u8_hwc")) >= 0.999);
    CHECK(results[0].params.vae == path.string());
    CHECK(results[0].params.vae_name == path.filename().string());
  }
  // The override differs from the model's own VAE by far more than rounding.
  const auto own = pipeline.generate(override_txt2img("none"));
  CHECK(fraction_within_one_level(own[0].image, f.raw("txt2img.image_base_vae_u8_hwc")) >= 0.999);
  CHECK(fraction_within_one_level(own[0].image, f.raw("txt2img.image_override_vae_u8_hwc")) < 0.5);
  CHECK(own[0].params.vae_name.empty());
}

TEST_CASE("Automatic takes <model>.vae.pt, .vae.ckpt or .vae.safetensors beside the model", "[forms][vae]") {
  TempDir dir;
  const fs::path model = dir / "tiny.safetensors";
  fs::copy_file(tiny_model_path(), model);
  fs::copy_file(data_path("sd1-tiny/model.yaml"), dir / "tiny.yaml");
  const AddonFolders no_folders;
  CHECK_FALSE(resolve_vae("auto", model, no_folders));

  fs::copy_file(formats().path("vae/vae-tiny-ft-mse.safetensors"), dir / "tiny.vae.safetensors");
  CHECK(resolve_vae("auto", model, no_folders) == dir / "tiny.vae.safetensors");
  CHECK(resolve_vae("Automatic", model, no_folders) == dir / "tiny.vae.safetensors");
  CHECK(resolve_vae("", model, no_folders) == dir / "tiny.vae.safetensors");
  CHECK_FALSE(resolve_vae("none", model, no_folders));
  CHECK_FALSE(resolve_vae("None", model, no_folders));
  fs::copy_file(formats().path("vae/vae-tiny-ft-mse.safetensors"), dir / "tiny.vae.pt");
  CHECK(resolve_vae("auto", model, no_folders) == dir / "tiny.vae.pt");  // A1111's order

  // A name (as A1111's infotext gives it) is found beside the model; an unknown one is refused.
  CHECK(resolve_vae("tiny.vae.safetensors", model, no_folders) == dir / "tiny.vae.safetensors");
  CHECK_THROWS_AS(resolve_vae("vae-ft-mse-840000-ema-pruned.safetensors", model, no_folders), InvalidArgument);
  CHECK_THROWS_WITH(resolve_vae("/nowhere/vae.safetensors", model, no_folders), Catch::Contains("/nowhere/vae.safetensors"));

  fs::remove(dir / "tiny.vae.pt");
  Pipeline pipeline(model, DeviceChoice::Cpu);
  auto params = override_txt2img("auto");
  params.model = model;
  const auto results = pipeline.generate(params);
  CHECK(fraction_within_one_level(results[0].image, formats().raw("txt2img.image_override_vae_u8_hwc")) >= 0.999);
  CHECK(results[0].params.vae == "auto");  // a re-run resolves it again
  CHECK(results[0].params.vae_name == "tiny.vae.safetensors");
}

TEST_CASE("a VAE name is found in the VAE folders, else by the hash an image recorded", "[forms][vae]") {
  TempDir dir;
  const fs::path model = dir / "models" / "tiny.safetensors";
  const fs::path vaes = dir / "VAE";
  fs::create_directories(model.parent_path());
  fs::create_directories(vaes / "sub");
  fs::create_directories(vaes / "diffusers-vae");
  fs::copy_file(formats().path("vae/vae-tiny-ft-mse.safetensors"), vaes / "sub" / "ft-mse.safetensors");
  fs::copy_file(formats().path("vae/vae-tiny-ft-mse.safetensors"), vaes / "diffusers-vae" / "config.json");
  std::vector<std::string> asked;
  const AddonFolders folders({{}, {}, {vaes}, {}}, [&](AddonKind kind, const std::string& hash) -> std::optional<fs::path> {
    asked.push_back(hash);
    if (kind == AddonKind::Vae && hash == "0123456789") return vaes / "sub" / "ft-mse.safetensors";
    return std::nullopt;
  });

  CHECK(resolve_vae("ft-mse.safetensors", model, folders) == vaes / "sub" / "ft-mse.safetensors");  // sub-folders too
  CHECK(resolve_vae("diffusers-vae", model, folders) == vaes / "diffusers-vae");
  CHECK_THROWS_AS(resolve_vae("ft-mse", model, folders), InvalidArgument);  // A1111 names VAEs with the extension
  CHECK(asked.empty());  // names first: no hash asked for
  // Renamed since the image was made: found by its recorded hash.
  CHECK(resolve_vae("old-name.safetensors", model, folders, "0123456789") == vaes / "sub" / "ft-mse.safetensors");
  CHECK(asked == std::vector<std::string>{"0123456789"});
  // Missing: the message names the VAE, its hash and where it was looked for.
  CHECK_THROWS_WITH(resolve_vae("gone.safetensors", model, folders, "abcdefabcd"),
                    Catch::Contains("gone.safetensors") && Catch::Contains("abcdefabcd") && Catch::Contains(vaes.string()));
}

TEST_CASE("a VAE of another architecture is refused naming the tensor; the model keeps its VAE", "[forms][vae]") {
  TempDir dir;
  const SafetensorsFile original(formats().path("vae/vae-tiny-ft-mse.safetensors"));
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& entry : original.entries()) {
    auto tensor = original.tensor(entry.name);
    tensors.emplace_back(entry.name, entry.name == "decoder.conv_out.bias" ? at::cat({tensor, tensor}) : tensor);
  }
  write_safetensors(dir / "wide.safetensors", tensors);
  auto model = load_stable_diffusion(tiny_model_path());
  CHECK_THROWS_WITH(use_vae(model, dir / "wide.safetensors"),
                    Catch::Contains((dir / "wide.safetensors").string()) && Catch::Contains("decoder.conv_out.bias") &&
                        Catch::Contains("shape"));
  CHECK_FALSE(model.vae_file);
  check_vae(model, "base_vae");
}
