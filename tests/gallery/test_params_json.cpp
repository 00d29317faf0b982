// Our `atelier` chunk and the A1111 text save_generated_image writes: params -> PNG -> params.
#include "core/gallery/params_json.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;

namespace {

GenerationParams unusual_params() {
  GenerationParams p;
  p.prompt = "a (cat:1.2), \"quoted\"\nsecond line, 猫";
  p.negative_prompt = "blurry: ugly, bad\\hands";
  p.steps = 37;
  p.cfg_scale = 0.1 + 0.2;  // not exactly 0.3: must survive bit for bit
  p.sampler = "DPM++ 2M";
  p.schedule = "Karras";
  p.seed = 4294967296123;
  p.width = 768;
  p.height = 448;
  p.batch_count = 3;
  p.batch_size = 2;
  p.clip_skip = 2;
  p.noise = NoiseKind::Nv;
  p.quantize_timesteps = true;
  p.init_image = "/images/init image.png";
  p.denoising_strength = 0.55;
  p.resize_mode = ResizeMode::ResizeAndFill;
  p.mask = "/images/mask, white.png";
  p.mask_blur = 11;
  p.hires_fix = true;
  p.hires_scale = 1.1 + 0.2;  // not exactly 1.3
  p.hires_width = 1000;
  p.hires_height = 0;
  p.hires_steps = 9;
  p.hires_upscaler = "4x-UltraSharp";
  p.hires_sampler = "DPM++ SDE";
  p.hires_prompt = "a (cat:1.3), detailed";
  p.hires_negative_prompt = "blurry\nsecond line";
  p.model = "/models/Deliberate v2.safetensors";
  p.model_hash = "9aba26abdf";
  p.vae = "/models/VAE/vae-ft-mse-840000-ema-pruned.safetensors";
  p.vae_name = "vae-ft-mse-840000-ema-pruned.safetensors";
  p.vae_hash = "735e4c3a44";
  p.refiner = "/models/sd_xl_refiner_1.0.safetensors";
  p.refiner_hash = "7440042bbd";
  p.refiner_switch_at = 0.1 + 0.6;  // not exactly 0.7
  p.device = DeviceChoice::Cuda;
  p.precision = Precision::Full;
  p.threads = 6;
  p.vae_tiling = GenerationParams::VaeTiling::On;
  return p;
}

// Every field compared, so a field added to GenerationParams and forgotten here shows up in review.
void check_equal(const GenerationParams& a, const GenerationParams& b) {
  CHECK(a.prompt == b.prompt);
  CHECK(a.negative_prompt == b.negative_prompt);
  CHECK(a.steps == b.steps);
  CHECK(a.cfg_scale == b.cfg_scale);
  CHECK(a.sampler == b.sampler);
  CHECK(a.schedule == b.schedule);
  CHECK(a.seed == b.seed);
  CHECK(a.width == b.width);
  CHECK(a.height == b.height);
  CHECK(a.batch_count == b.batch_count);
  CHECK(a.batch_size == b.batch_size);
  CHECK(a.clip_skip == b.clip_skip);
  CHECK(a.noise == b.noise);
  CHECK(a.quantize_timesteps == b.quantize_timesteps);
  CHECK(a.init_image == b.init_image);
  CHECK(a.denoising_strength == b.denoising_strength);
  CHECK(a.resize_mode == b.resize_mode);
  CHECK(a.mask == b.mask);
  CHECK(a.mask_blur == b.mask_blur);
  CHECK(a.hires_fix == b.hires_fix);
  CHECK(a.hires_scale == b.hires_scale);
  CHECK(a.hires_width == b.hires_width);
  CHECK(a.hires_height == b.hires_height);
  CHECK(a.hires_steps == b.hires_steps);
  CHECK(a.hires_upscaler == b.hires_upscaler);
  CHECK(a.hires_sampler == b.hires_sampler);
  CHECK(a.hires_prompt == b.hires_prompt);
  CHECK(a.hires_negative_prompt == b.hires_negative_prompt);
  CHECK(a.model == b.model);
  CHECK(a.model_hash == b.model_hash);
  CHECK(a.vae == b.vae);
  CHECK(a.vae_name == b.vae_name);
  CHECK(a.vae_hash == b.vae_hash);
  CHECK(a.refiner == b.refiner);
  CHECK(a.refiner_hash == b.refiner_hash);
  CHECK(a.refiner_switch_at == b.refiner_switch_at);
  CHECK(a.device == b.device);
  CHECK(a.precision == b.precision);
  CHECK(a.threads == b.threads);
  CHECK(a.vae_tiling == b.vae_tiling);
}

GeneratedImage tiny_image(const GenerationParams& params) {
  GeneratedImage image;
  image.image = Image8{8, 8, std::vector<std::uint8_t>(8 * 8 * 3, 128)};
  image.params = params;
  return image;
}

}  // namespace

TEST_CASE("params JSON is versioned and snake_case", "[params_json]") {
  const auto json = nlohmann::json::parse(format_params_json(unusual_params(), RunInfo{"cuda:0", "Half", 3.25}));
  CHECK(json["format"] == "atelier");
  CHECK(json["version"] == 1);
  CHECK(json["negative_prompt"] == "blurry: ugly, bad\\hands");
  CHECK(json["cfg_scale"] == 0.1 + 0.2);
  CHECK(json["rng"] == "nv");
  CHECK(json["resize_mode"] == "Resize and fill");
  CHECK(json["run"]["device"] == "cuda:0");
  CHECK(json["run"]["elapsed_seconds"] == 3.25);
}

TEST_CASE("params JSON round-trips every field", "[params_json]") {
  const GenerationParams params = unusual_params();
  const AtelierRecord record = parse_params_json(format_params_json(params, RunInfo{"cpu", "Float", 1.5}));
  check_equal(record.params, params);
  REQUIRE(record.run);
  CHECK(*record.run == RunInfo{"cpu", "Float", 1.5});

  const AtelierRecord defaults = parse_params_json(format_params_json(GenerationParams{}));
  check_equal(defaults.params, GenerationParams{});
  CHECK_FALSE(defaults.run);
}

TEST_CASE("params JSON refuses other formats, newer versions and wrong types", "[params_json]") {
  CHECK_THROWS_AS(parse_params_json("not json"), FormatError);
  CHECK_THROWS_AS(parse_params_json("[1, 2]"), FormatError);
  CHECK_THROWS_AS(parse_params_json(R"({"format": "other", "version": 1})"), FormatError);
  CHECK_THROWS_WITH(parse_params_json(R"({"format": "atelier", "version": 2})"), Catch::Contains("newer Atelier"));
  CHECK_THROWS_AS(parse_params_json(R"({"format": "atelier", "version": 1, "steps": "many"})"), FormatError);
  CHECK_THROWS_AS(parse_params_json(R"({"format": "atelier", "version": 1, "rng": "dice"})"), FormatError);
  // Keys a later version adds are ignored; absent keys keep the defaults.
  CHECK(parse_params_json(R"({"format": "atelier", "version": 1, "steps": 9, "future": true})").params.steps == 9);
  CHECK_THROWS_AS(parse_params_json(R"({"format": "atelier", "version": 1, "refiner": 5})"), FormatError);
}

TEST_CASE("params JSON written before refiners and masks reads with their defaults", "[params_json]") {
  const GenerationParams p =
      parse_params_json(R"({"format": "atelier", "version": 1, "model": "/m.safetensors", "init_image": null})").params;
  CHECK_FALSE(p.refiner);
  CHECK(p.refiner_hash.empty());
  CHECK(p.refiner_switch_at == GenerationParams{}.refiner_switch_at);
  CHECK_FALSE(p.mask);
  CHECK(p.mask_blur == GenerationParams{}.mask_blur);
  CHECK_FALSE(p.init_image);
}

TEST_CASE("a saved image reads back as ours, equal, and its A1111 text as equal fields", "[params_json]") {
  TempDir dir;
  GenerationParams params = unusual_params();
  params.init_image.reset();  // its hash would need the file
  save_generated_image(dir / "out.png", tiny_image(params), RunInfo{"cpu", "Float", 0.5});

  const ImageMetadata ours = read_image_metadata(dir / "out.png");
  CHECK(ours.source == "atelier");
  check_equal(ours.params, params);
  CHECK(ours.run == RunInfo{"cpu", "Float", 0.5});

  // Without our chunk the A1111 reader gets the same values for every field A1111 has.
  std::vector<PngText> a1111_only{{"parameters", format_a1111_parameters(a1111_parameters(params))}};
  const ImageMetadata a1111 = parse_image_metadata(a1111_only);
  CHECK(a1111.source == "a1111");
  CHECK(a1111.params.prompt == params.prompt);
  CHECK(a1111.params.negative_prompt == params.negative_prompt);
  CHECK(a1111.params.steps == params.steps);
  CHECK(a1111.params.cfg_scale == params.cfg_scale);
  CHECK(a1111.params.sampler == params.sampler);
  CHECK(a1111.params.schedule == params.schedule);
  CHECK(a1111.params.seed == params.seed);
  CHECK(a1111.params.width == params.width);
  CHECK(a1111.params.height == params.height);
  CHECK(a1111.params.clip_skip == params.clip_skip);
  CHECK(a1111.params.noise == params.noise);
  CHECK(a1111.params.quantize_timesteps == params.quantize_timesteps);
  CHECK(a1111.params.model == "Deliberate v2");
  CHECK(a1111.params.model_hash == params.model_hash);
  CHECK(a1111.params.vae == params.vae_name);  // A1111 names the VAE by its file name
  CHECK(a1111.params.vae_name == params.vae_name);
  CHECK(a1111.params.vae_hash == params.vae_hash);
  CHECK(a1111.params.mask_blur == params.mask_blur);
  CHECK(a1111.params.hires_fix);
  CHECK(a1111.params.denoising_strength == params.denoising_strength);
  CHECK(a1111.params.hires_width == params.hires_width);
  CHECK(a1111.params.hires_height == params.hires_height);
  CHECK(a1111.params.hires_steps == params.hires_steps);
  CHECK(a1111.params.hires_upscaler == params.hires_upscaler);
  CHECK(a1111.params.hires_sampler == params.hires_sampler);
  CHECK(a1111.params.hires_prompt == params.hires_prompt);
  CHECK(a1111.params.hires_negative_prompt == params.hires_negative_prompt);
  CHECK(a1111.params.refiner == "sd_xl_refiner_1.0");  // A1111 names it by file stem
  CHECK(a1111.params.refiner_hash == params.refiner_hash);
  CHECK(a1111.params.refiner_switch_at == params.refiner_switch_at);
  CHECK(a1111.extra == MetadataFields{{"Version", "Atelier " ATELIER_VERSION}});
}

TEST_CASE("the refiner and the mask blur are written as A1111 writes them, only when used", "[params_json]") {
  const auto keys = [](const GenerationParams& p) {
    std::string text;
    for (const auto& [key, value] : a1111_parameters(p).fields) text += key + ": " + value + "\n";
    return text;
  };
  GenerationParams params;
  params.model = "/models/sd_xl_base_1.0.safetensors";
  CHECK_THAT(keys(params), !Catch::Contains("Refiner") && !Catch::Contains("Mask blur"));

  params.refiner = "/models/sd_xl_refiner_1.0.safetensors";
  params.refiner_hash = "7440042bbd";
  CHECK_THAT(keys(params), Catch::Contains("RNG: CPU\nRefiner: sd_xl_refiner_1.0 [7440042bbd]\n"
                                           "Refiner switch at: 0.8\nVersion: "));
  params.refiner_hash.clear();  // unknown: the name alone, as A1111's short_title
  CHECK_THAT(keys(params), Catch::Contains("Refiner: sd_xl_refiner_1.0\n"));

  params.mask = "/images/mask.png";
  CHECK_THAT(keys(params), Catch::Contains("Mask blur: 4\n"));
  params.mask_blur = 0;  // A1111 records it only when it blurs
  CHECK_THAT(keys(params), !Catch::Contains("Mask blur"));
}

TEST_CASE("hires fix is written as A1111's txt2img writes it, only when on", "[params_json][hires]") {
  const auto keys = [](const GenerationParams& p) {
    std::string text;
    for (const auto& [key, value] : a1111_parameters(p).fields) text += key + ": " + value + "\n";
    return text;
  };
  GenerationParams params;
  params.model = "/models/sd15.safetensors";
  params.hires_steps = 10;  // off: nothing of it, not even the strength
  CHECK_THAT(keys(params), !Catch::Contains("Hires") && !Catch::Contains("Denoising strength"));

  // The strength among the main fields, then the hires ones as init() adds them; the sampler and
  // prompts only when they differ, the steps only when set.
  params.hires_fix = true;
  params.hires_steps = 0;
  params.denoising_strength = 0.7;
  CHECK_THAT(keys(params), Catch::Contains("Model: sd15\nDenoising strength: 0.7\nRNG: CPU\n"
                                           "Hires upscale: 2\nHires upscaler: Latent\nVersion: "));
  params.hires_sampler = "Euler a";  // the first pass's
  params.hires_prompt = params.prompt = "a cat";
  CHECK_THAT(keys(params), !Catch::Contains("Hires sampler") && !Catch::Contains("Hires prompt"));
  params.hires_sampler = "DPM++ 2M Karras";
  params.hires_prompt = "a cat, detailed";
  params.hires_negative_prompt = "blur";
  params.hires_width = 1024;
  params.hires_steps = 15;
  params.hires_upscaler = "R-ESRGAN 4x+";
  CHECK_THAT(keys(params), Catch::Contains("RNG: CPU\nHires sampler: DPM++ 2M Karras\nHires prompt: a cat, detailed\n"
                                           "Hires negative prompt: blur\nHires resize: 1024x0\nHires steps: 15\n"
                                           "Hires upscaler: R-ESRGAN 4x+\nVersion: "));
}

TEST_CASE("a standalone VAE is written as A1111 writes it, after the model, only when one ran", "[params_json]") {
  GenerationParams params;
  params.model = "/models/v1-5-pruned-emaonly.safetensors";
  params.model_hash = "6ce0161689";
  params.vae = "auto";  // and the model's own VAE ran: nothing to record
  auto fields = a1111_parameters(params).fields;
  CHECK(std::none_of(fields.begin(), fields.end(), [](const auto& f) { return f.first.starts_with("VAE"); }));

  params.vae_name = "vae-ft-mse-840000-ema-pruned.safetensors";
  params.vae_hash = "735e4c3a44";
  fields = a1111_parameters(params).fields;
  const auto model = std::find_if(fields.begin(), fields.end(), [](const auto& f) { return f.first == "Model"; });
  REQUIRE(std::distance(model, fields.end()) >= 3);
  CHECK(model[1] == std::pair<std::string, std::string>{"VAE hash", "735e4c3a44"});
  CHECK(model[2] == std::pair<std::string, std::string>{"VAE", "vae-ft-mse-840000-ema-pruned.safetensors"});

  params.vae_hash.clear();  // a diffusers folder has no file hash: the name alone
  fields = a1111_parameters(params).fields;
  CHECK(std::none_of(fields.begin(), fields.end(), [](const auto& f) { return f.first == "VAE hash"; }));
}

TEST_CASE("img2img images record the strength and the init image's hash", "[params_json]") {
  TempDir dir;
  GenerationParams params = unusual_params();
  save_generated_image(dir / "init.png", tiny_image(GenerationParams{}));
  params.init_image = dir / "init.png";
  const A1111Parameters text = a1111_parameters(params);
  const auto field = [&](const std::string& key) {
    for (const auto& [k, v] : text.fields)
      if (k == key) return v;
    return std::string("(absent)");
  };
  CHECK(field("Denoising strength") == "0.55");
  CHECK(field("Init image hash").size() == 10);
  CHECK(field("Clip skip") == "2");
  CHECK(field("RNG") == "NV");
  CHECK(field("Version") == "Atelier " ATELIER_VERSION);
}
