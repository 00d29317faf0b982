// Each tool's metadata as that tool writes it, read into GenerationParams.
#include <catch2/catch.hpp>

#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "support/temp_dir.h"

using namespace atelier;

namespace {

ImageMetadata read_texts(std::vector<PngText> texts) { return parse_image_metadata(texts); }

std::string extra_value(const ImageMetadata& metadata, const std::string& key) {
  for (const auto& [k, v] : metadata.extra)
    if (k == key) return v;
  return "(absent)";
}

bool mentions(const std::vector<std::string>& notes, const std::string& text) {
  for (const auto& note : notes)
    if (note.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("A1111 before 1.9: legacy sampler name, hires fix, LoRA and TI hashes", "[metadata][a1111]") {
  const auto metadata = read_texts({{"parameters",
                                     "masterpiece, best quality, 1girl,\n"
                                     "looking at viewer\n"
                                     "Negative prompt: (worst quality:1.4), low quality\n"
                                     "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 3960556052, "
                                     "Size: 512x768, Model hash: 7F96A1A9CA, Model: anything-v5, "
                                     "Denoising strength: 0.5, Clip skip: 2, Hires upscale: 2, Hires upscaler: Latent, "
                                     "Lora hashes: \"add_detail: 7c6bad76eb54\", "
                                     "TI hashes: \"easynegative: c74b4e810b03\", Version: v1.6.0"}});
  CHECK(metadata.source == "a1111");
  CHECK(metadata.params.prompt == "masterpiece, best quality, 1girl,\nlooking at viewer");
  CHECK(metadata.params.negative_prompt == "(worst quality:1.4), low quality");
  CHECK(metadata.params.steps == 28);
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(metadata.params.cfg_scale == 7.5);
  CHECK(metadata.params.seed == 3960556052);
  CHECK(metadata.params.width == 512);
  CHECK(metadata.params.height == 768);
  CHECK(metadata.params.model_hash == "7f96a1a9ca");
  CHECK(metadata.params.model == "anything-v5");
  CHECK(metadata.params.clip_skip == 2);
  CHECK(metadata.params.noise == NoiseKind::Nv);  // no RNG field: A1111's default, GPU
  // A1111's hires fix: the strength is the second pass's.
  CHECK(metadata.params.hires_fix);
  CHECK(metadata.params.denoising_strength == 0.5);
  CHECK(metadata.params.hires_scale == 2);
  CHECK(metadata.params.hires_upscaler == "Latent");
  CHECK(metadata.params.hires_steps == 0);
  using Hashes = std::vector<std::pair<std::string, std::string>>;
  CHECK(metadata.params.lora_hashes == Hashes{{"add_detail", "7c6bad76eb54"}});
  CHECK(metadata.params.ti_hashes == Hashes{{"easynegative", "c74b4e810b03"}});
  CHECK(extra_value(metadata, "Version") == "v1.6.0");
  CHECK(metadata.unmapped.empty());
}

TEST_CASE("A1111 hires fix fields: resize, steps, sampler, prompts; before 1.0 First pass size", "[metadata][a1111]") {
  const auto metadata = read_texts({{"parameters",
                                     "a castle\nNegative prompt: fog\n"
                                     "Steps: 25, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 5, "
                                     "Size: 512x768, Model: m, Denoising strength: 0.45, Hires sampler: DPM++ 2M, "
                                     "Hires prompt: \"a castle, detailed\", Hires negative prompt: haze, "
                                     "Hires resize: 1024x0, Hires steps: 12, Hires upscaler: 4x-UltraSharp, "
                                     "Hires checkpoint: other, Version: v1.7.0"}});
  const auto& p = metadata.params;
  CHECK(p.hires_fix);
  CHECK(p.width == 512);
  CHECK(p.height == 768);
  CHECK(p.hires_width == 1024);
  CHECK(p.hires_height == 0);
  CHECK(p.hires_steps == 12);
  CHECK(p.hires_upscaler == "4x-UltraSharp");
  CHECK(p.hires_sampler == "DPM++ 2M");
  CHECK(p.hires_prompt == "a castle, detailed");
  CHECK(p.hires_negative_prompt == "haze");
  CHECK(p.denoising_strength == 0.45);
  CHECK(mentions(metadata.unmapped, "Hires checkpoint"));

  // Without a hires field the strength is img2img's, and hires fix stays off.
  CHECK_FALSE(read_texts({{"parameters", "p\nSteps: 20, Seed: 1, Denoising strength: 0.3"}}).params.hires_fix);

  // A1111 before 1.0: Size was the final size; First pass size 0x0 lets A1111 choose about 512x512.
  const auto old = read_texts({{"parameters", "p\nSteps: 20, Seed: 1, Size: 1024x1536, Denoising strength: 0.7, "
                                              "First pass size: 0x0"}});
  CHECK(old.params.hires_fix);
  CHECK(old.params.hires_width == 1024);
  CHECK(old.params.hires_height == 1536);
  // sqrt(512² / (1024·1536)) · 1024 / 64 = 6.53 -> 7 · 64; · 1536 / 64 = 9.80 -> 10 · 64.
  CHECK(old.params.width == 448);
  CHECK(old.params.height == 640);
  const auto given = read_texts({{"parameters", "p\nSteps: 20, Seed: 1, Size: 1024x1024, Denoising strength: 0.7, "
                                                "First pass size: 512x512"}});
  CHECK(given.params.width == 512);
  CHECK(given.params.hires_width == 1024);
}

TEST_CASE("A1111 1.9+: separate schedule type, 8-hex model hash, RNG CPU", "[metadata][a1111]") {
  const auto metadata = read_texts({{"parameters",
                                     "a cat\n"
                                     "Steps: 20, Sampler: DPM++ 2M, Schedule type: Exponential, CFG scale: 7, "
                                     "Seed: 1, Size: 512x512, Model hash: 925997e9, Model: sd-v1-4, RNG: CPU, "
                                     "Version: v1.10.1"}});
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.schedule == "Exponential");
  CHECK(metadata.params.model_hash == "925997e9");
  CHECK(metadata.params.noise == NoiseKind::Cpu);
  CHECK(metadata.params.negative_prompt.empty());
}

TEST_CASE("A1111: SDXL with a refiner, inpainting with a mask blur", "[metadata][a1111]") {
  const auto sdxl = read_texts({{"parameters",
                                 "a cat\n"
                                 "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, "
                                 "Size: 1024x1024, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, RNG: CPU, "
                                 "Refiner: sd_xl_refiner_1.0 [7440042BBD], Refiner switch at: 0.75, Version: v1.10.1"}});
  CHECK(sdxl.params.refiner == std::filesystem::path("sd_xl_refiner_1.0"));
  CHECK(sdxl.params.refiner_hash == "7440042bbd");
  CHECK(sdxl.params.refiner_switch_at == 0.75);
  CHECK(extra_value(sdxl, "Refiner") == "(absent)");

  const auto unhashed = read_texts({{"parameters", "a cat\nSteps: 30, Seed: 1, Refiner: my refiner [v2] x"}});
  CHECK(unhashed.params.refiner == std::filesystem::path("my refiner [v2] x"));
  CHECK(unhashed.params.refiner_hash.empty());

  const auto inpaint = read_texts({{"parameters", "a cat\nSteps: 20, Seed: 1, Size: 512x512, "
                                                  "Denoising strength: 0.75, Mask blur: 9"}});
  CHECK(inpaint.params.mask_blur == 9);
  CHECK_FALSE(inpaint.params.mask);  // A1111 keeps no mask in its text
  CHECK_FALSE(inpaint.params.refiner);
}

TEST_CASE("A1111: a standalone VAE by hash and file name", "[metadata][a1111]") {
  const auto metadata = read_texts({{"parameters",
                                     "a cat\n"
                                     "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, "
                                     "Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, "
                                     "VAE hash: 735E4C3A44, VAE: vae-ft-mse-840000-ema-pruned.safetensors, "
                                     "Version: v1.10.1"}});
  CHECK(metadata.params.vae == "vae-ft-mse-840000-ema-pruned.safetensors");  // looked up by name on a re-run
  CHECK(metadata.params.vae_name == "vae-ft-mse-840000-ema-pruned.safetensors");
  CHECK(metadata.params.vae_hash == "735e4c3a44");
  CHECK(extra_value(metadata, "VAE") == "(absent)");

  const auto own_vae = read_texts({{"parameters", "a cat\nSteps: 20, Seed: 1, Size: 512x512"}});
  CHECK(own_vae.params.vae == GenerationParams{}.vae);
  CHECK(own_vae.params.vae_name.empty());
}

TEST_CASE("A1111: variation seed, its strength and resize seed from, read and written back alike",
          "[metadata][a1111]") {
  const std::string fields =
      "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, Size: 512x768, "
      "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Variation seed: 3804, Variation seed strength: 0.35, "
      "Seed resize from: 512x512, RNG: CPU";
  const auto metadata = read_texts({{"parameters", "a cat\n" + fields + ", Version: v1.10.1"}});
  CHECK(metadata.params.variation_seed == 3804);
  CHECK(metadata.params.variation_strength == 0.35);
  CHECK(metadata.params.seed_resize_from_width == 512);
  CHECK(metadata.params.seed_resize_from_height == 512);
  for (const char* key : {"Variation seed", "Variation seed strength", "Seed resize from"})
    CHECK(extra_value(metadata, key) == "(absent)");
  // Atelier writes them where A1111 does (after the model and VAE, before the denoising strength).
  CHECK_THAT(format_a1111_parameters(a1111_parameters(metadata.params)), Catch::Contains(fields));

  const auto plain = read_texts({{"parameters", "a cat\nSteps: 20, Seed: 1, Size: 512x512"}});
  const auto text = format_a1111_parameters(a1111_parameters(plain.params));
  CHECK_THAT(text, !Catch::Contains("Variation") && !Catch::Contains("Seed resize"));
}

TEST_CASE("A1111: a sampler Atelier does not run is kept and reported", "[metadata][a1111]") {
  const auto metadata = read_texts({{"parameters", "p\nSteps: 20, Sampler: Euler Dy, CFG scale: 7, Seed: 1"}});
  CHECK(metadata.params.sampler == "Euler Dy");
  CHECK(mentions(metadata.unmapped, "Euler Dy"));
  // One Atelier runs is not reported.
  for (const char* runs : {"Restart", "UniPC", "PLMS", "DDIM CFG++"})
    CHECK_FALSE(mentions(read_texts({{"parameters", std::string("p\nSteps: 20, Sampler: ") + runs + ", Seed: 1"}}).unmapped, runs));
}

TEST_CASE("ComfyUI: the default workflow's API graph", "[metadata][comfyui]") {
  const auto metadata = read_texts({{"prompt", R"json({
    "3": {"inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8, "sampler_name": "euler_ancestral",
                     "scheduler": "karras", "denoise": 1, "model": ["4", 0], "positive": ["6", 0],
                     "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler"},
    "4": {"inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "5": {"inputs": {"width": 512, "height": 768, "batch_size": 1}, "class_type": "EmptyLatentImage"},
    "6": {"inputs": {"text": "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,",
                     "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "7": {"inputs": {"text": "text, watermark", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode"},
    "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage"}})json"},
                                    {"workflow", "{\"nodes\": []}"}});
  CHECK(metadata.source == "comfyui");
  CHECK(metadata.params.prompt == "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,");
  CHECK(metadata.params.negative_prompt == "text, watermark");
  CHECK(metadata.params.seed == 156680208700286);
  CHECK(metadata.params.steps == 20);
  CHECK(metadata.params.cfg_scale == 8);
  CHECK(metadata.params.sampler == "Euler a");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(metadata.params.model == "v1-5-pruned-emaonly.safetensors");
  CHECK(metadata.params.width == 512);
  CHECK(metadata.params.height == 768);
  CHECK(metadata.params.quantize_timesteps);
  CHECK(metadata.unmapped.empty());
}

TEST_CASE("ComfyUI: advanced sampler, clip skip, LoRA and what cannot be mapped", "[metadata][comfyui]") {
  const auto metadata = read_texts({{"prompt", R"json({
    "10": {"inputs": {"noise_seed": 7, "steps": 30, "cfg": 6.5, "sampler_name": "dpmpp_2m", "scheduler": "normal",
                      "model": ["12", 0], "positive": ["13", 0], "negative": ["14", 0], "latent_image": ["15", 0],
                      "add_noise": "enable", "start_at_step": 0, "end_at_step": 10000},
           "class_type": "KSamplerAdvanced"},
    "11": {"inputs": {"ckpt_name": "dreamshaper_8.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "12": {"inputs": {"lora_name": "add_detail.safetensors", "strength_model": 0.8, "strength_clip": 0.8,
                      "model": ["11", 0], "clip": ["11", 1]}, "class_type": "LoraLoader"},
    "16": {"inputs": {"stop_at_clip_layer": -2, "clip": ["12", 1]}, "class_type": "CLIPSetLastLayer"},
    "13": {"inputs": {"text": ["17", 0], "clip": ["16", 0]}, "class_type": "CLIPTextEncode"},
    "14": {"inputs": {"text": "ugly", "clip": ["16", 0]}, "class_type": "CLIPTextEncode"},
    "15": {"inputs": {"pixels": ["18", 0], "vae": ["11", 2]}, "class_type": "VAEEncode"},
    "17": {"inputs": {"text": "a dynamic prompt"}, "class_type": "ShowText"},
    "18": {"inputs": {"image": "init.png"}, "class_type": "LoadImage"},
    "19": {"inputs": {"upscale_method": "nearest-exact"}, "class_type": "UltimateSDUpscale"}})json"}});
  CHECK(metadata.source == "comfyui");
  CHECK(metadata.params.seed == 7);
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.schedule == "Normal");
  CHECK(metadata.params.model == "dreamshaper_8.safetensors");
  CHECK(metadata.params.clip_skip == 2);
  CHECK(metadata.params.negative_prompt == "ugly");
  CHECK(metadata.params.denoising_strength == 1.0);
  CHECK(mentions(metadata.unmapped, "\"text\" is not a plain value"));
  CHECK(mentions(metadata.unmapped, "VAEEncode"));
  CHECK(mentions(metadata.unmapped, "LoRA"));
  CHECK(mentions(metadata.unmapped, "19 (UltimateSDUpscale)"));
  CHECK(extra_value(metadata, "LoRA") == "\"add_detail.safetensors\": 0.8");
}

TEST_CASE("ComfyUI two-pass: the empty latent's sampler is the first pass, the upscaled one the hires pass",
          "[metadata][comfyui][hires]") {
  // ComfyUI's hires fix example as the API graph: the second KSampler ("10") sorts before the first ("3").
  const auto metadata = read_texts({{"prompt", R"json({
    "3": {"inputs": {"seed": 89848141647836, "steps": 12, "cfg": 8, "sampler_name": "dpmpp_sde",
                     "scheduler": "normal", "denoise": 1, "model": ["16", 0], "positive": ["6", 0],
                     "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler"},
    "5": {"inputs": {"width": 768, "height": 768, "batch_size": 1}, "class_type": "EmptyLatentImage"},
    "6": {"inputs": {"text": "a glass bottle with a galaxy inside", "clip": ["16", 1]}, "class_type": "CLIPTextEncode"},
    "7": {"inputs": {"text": "bad hands, text, watermark", "clip": ["16", 1]}, "class_type": "CLIPTextEncode"},
    "8": {"inputs": {"samples": ["11", 0], "vae": ["16", 2]}, "class_type": "VAEDecode"},
    "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage"},
    "10": {"inputs": {"upscale_method": "nearest-exact", "width": 1152, "height": 1152, "crop": "disabled",
                      "samples": ["3", 0]}, "class_type": "LatentUpscale"},
    "11": {"inputs": {"seed": 89848141647836, "steps": 14, "cfg": 8, "sampler_name": "dpmpp_2m",
                      "scheduler": "normal", "denoise": 0.5, "model": ["16", 0], "positive": ["6", 0],
                      "negative": ["7", 0], "latent_image": ["10", 0]}, "class_type": "KSampler"},
    "16": {"inputs": {"ckpt_name": "v2-1_768-ema-pruned.safetensors"}, "class_type": "CheckpointLoaderSimple"}})json"}});
  const auto& p = metadata.params;
  CHECK(p.seed == 89848141647836);
  CHECK(p.steps == 12);
  CHECK(p.sampler == "DPM++ SDE");
  CHECK(p.width == 768);
  CHECK(p.height == 768);
  CHECK(p.hires_fix);
  CHECK(p.hires_steps == 14);
  CHECK(p.denoising_strength == 0.5);
  CHECK(p.hires_width == 1152);
  CHECK(p.hires_height == 1152);
  CHECK(p.hires_upscaler == "Latent (nearest-exact)");
  CHECK(p.hires_sampler == "DPM++ 2M");
  CHECK(p.hires_prompt.empty());  // the same prompt nodes
  CHECK(p.prompt == "a glass bottle with a galaxy inside");
  INFO(Catch::Detail::stringify(metadata.unmapped));
  CHECK(metadata.unmapped.empty());

  // LatentUpscaleBy gives the factor; another seed or prompt for the second pass is said or read.
  const auto by = read_texts({{"prompt", R"json({
    "1": {"inputs": {"seed": 5, "steps": 20, "cfg": 7, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
                     "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]},
          "class_type": "KSampler"},
    "2": {"inputs": {"seed": 6, "steps": 10, "cfg": 7, "sampler_name": "euler", "scheduler": "normal",
                     "denoise": 0.55, "model": ["4", 0], "positive": ["8", 0], "negative": ["7", 0],
                     "latent_image": ["3", 0]}, "class_type": "KSampler"},
    "3": {"inputs": {"upscale_method": "bilinear", "scale_by": 1.5, "samples": ["1", 0]}, "class_type": "LatentUpscaleBy"},
    "4": {"inputs": {"ckpt_name": "sd15.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "5": {"inputs": {"width": 512, "height": 512, "batch_size": 1}, "class_type": "EmptyLatentImage"},
    "6": {"inputs": {"text": "a fox", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "7": {"inputs": {"text": "", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "8": {"inputs": {"text": "a fox, sharp fur", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"}})json"}});
  CHECK(by.params.seed == 5);
  CHECK(by.params.steps == 20);
  CHECK(by.params.hires_scale == 1.5);
  CHECK(by.params.hires_upscaler == "Latent");
  CHECK(by.params.hires_sampler.empty());
  CHECK(by.params.hires_prompt == "a fox, sharp fur");
  CHECK(mentions(by.unmapped, "seed 6"));
}

TEST_CASE("ComfyUI two-pass through pixels: decode, upscale model, scale, encode", "[metadata][comfyui][hires]") {
  const auto metadata = read_texts({{"prompt", R"json({
    "3": {"inputs": {"seed": 42, "steps": 25, "cfg": 6, "sampler_name": "euler_ancestral", "scheduler": "karras",
                     "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                     "latent_image": ["5", 0]}, "class_type": "KSampler"},
    "4": {"inputs": {"ckpt_name": "sd15.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "5": {"inputs": {"width": 512, "height": 640, "batch_size": 1}, "class_type": "EmptyLatentImage"},
    "6": {"inputs": {"text": "a harbour", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "7": {"inputs": {"text": "blur", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode"},
    "12": {"inputs": {"model_name": "4x-UltraSharp.pth"}, "class_type": "UpscaleModelLoader"},
    "13": {"inputs": {"upscale_model": ["12", 0], "image": ["8", 0]}, "class_type": "ImageUpscaleWithModel"},
    "14": {"inputs": {"upscale_method": "lanczos", "width": 1024, "height": 1280, "crop": "disabled",
                      "image": ["13", 0]}, "class_type": "ImageScale"},
    "15": {"inputs": {"pixels": ["14", 0], "vae": ["4", 2]}, "class_type": "VAEEncode"},
    "16": {"inputs": {"seed": 42, "steps": 15, "cfg": 6, "sampler_name": "euler_ancestral", "scheduler": "karras",
                      "denoise": 0.35, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                      "latent_image": ["15", 0]}, "class_type": "KSampler"},
    "17": {"inputs": {"samples": ["16", 0], "vae": ["4", 2]}, "class_type": "VAEDecode"},
    "18": {"inputs": {"filename_prefix": "hires", "images": ["17", 0]}, "class_type": "SaveImage"}})json"}});
  const auto& p = metadata.params;
  CHECK(p.steps == 25);
  CHECK(p.width == 512);
  CHECK(p.hires_fix);
  CHECK(p.hires_steps == 15);
  CHECK(p.denoising_strength == 0.35);
  CHECK(p.hires_upscaler == "4x-UltraSharp");
  CHECK(p.hires_width == 1024);
  CHECK(p.hires_height == 1280);
  INFO(Catch::Detail::stringify(metadata.unmapped));
  CHECK(metadata.unmapped.empty());
}

TEST_CASE("InvokeAI: an invokeai_metadata record", "[metadata][invokeai]") {
  const auto metadata = read_texts({{"invokeai_metadata", R"json({
    "generation_mode": "txt2img", "positive_prompt": "a cozy cabin in the woods", "negative_prompt": "blurry",
    "width": 512, "height": 768, "seed": 2147483647, "rand_device": "cpu", "cfg_scale": 7.5,
    "cfg_rescale_multiplier": 0, "steps": 30, "scheduler": "dpmpp_2m_k", "clip_skip": 1,
    "model": {"key": "9a7f4ef6", "hash": "blake3:ab12cd", "name": "Deliberate v2", "base": "sd-1", "type": "main"},
    "loras": [], "app_version": "4.2.4"})json"}});
  CHECK(metadata.source == "invokeai");
  CHECK(metadata.params.prompt == "a cozy cabin in the woods");
  CHECK(metadata.params.negative_prompt == "blurry");
  CHECK(metadata.params.width == 512);
  CHECK(metadata.params.height == 768);
  CHECK(metadata.params.seed == 2147483647);
  CHECK(metadata.params.cfg_scale == 7.5);
  CHECK(metadata.params.steps == 30);
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(metadata.params.clip_skip == 2);
  CHECK(metadata.params.model == "Deliberate v2");
  CHECK(extra_value(metadata, "model hash") == "blake3:ab12cd");
  CHECK(extra_value(metadata, "app_version") == "4.2.4");
  CHECK(extra_value(metadata, "generation_mode") == "txt2img");
}

TEST_CASE("InvokeAI: a model record with values of the wrong type is read without throwing", "[metadata][invokeai]") {
  const auto metadata = read_texts({{"invokeai_metadata", R"json({
    "positive_prompt": "a lighthouse", "model": {"name": 5, "model_name": "fallback name", "hash": ["x"]}})json"}});
  CHECK(metadata.source == "invokeai");
  CHECK(metadata.params.prompt == "a lighthouse");
  CHECK(metadata.params.model == "fallback name");
  CHECK(extra_value(metadata, "model hash") == "(absent)");
}

TEST_CASE("InvokeAI 2: the web UI's sd-metadata beside its Dream command", "[metadata][invokeai2]") {
  const auto metadata = read_texts(
      {{"Dream", "\"a lonely robot reading a book [blurry, text] in a library [watermark]\" -s 50 -S 2502935700 "
                 "-W 512 -H 768 -C 7.5 -A k_euler_a"},
       {"sd-metadata", R"json({"model": "stable diffusion", "model_weights": "stable-diffusion-1.5",
        "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
        "app_id": "invoke-ai/InvokeAI", "app_version": "v2.2.4",
        "image": {"prompt": [{"prompt": "a lonely robot reading a book [blurry, text] in a library [watermark]",
                              "weight": 1.0}],
                  "steps": 50, "cfg_scale": 7.5, "threshold": 0, "perlin": 0, "height": 768, "width": 512,
                  "seed": 2502935700, "seamless": false, "hires_fix": false, "type": "txt2img",
                  "postprocessing": null, "sampler": "k_euler_a", "variations": []}})json"}});
  CHECK(metadata.source == "invokeai");
  // Each bracketed run is negative; the space left where it stood is squeezed.
  CHECK(metadata.params.prompt == "a lonely robot reading a book in a library");
  CHECK(metadata.params.negative_prompt == "blurry, text watermark");
  CHECK(metadata.params.steps == 50);
  CHECK(metadata.params.cfg_scale == 7.5);
  CHECK(metadata.params.seed == 2502935700);
  CHECK(metadata.params.width == 512);
  CHECK(metadata.params.height == 768);
  CHECK(metadata.params.sampler == "Euler a");
  CHECK(metadata.params.schedule == "Automatic");
  CHECK(metadata.params.model == "stable-diffusion-1.5");
  // Before 2.3 the hash is the checkpoint file's SHA-256: A1111's model hash is its first 10 digits.
  CHECK(metadata.params.model_hash == "cc6cb27103");
  CHECK(extra_value(metadata, "model_hash") == "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516");
  CHECK(extra_value(metadata, "app_version") == "v2.2.4");
  CHECK(extra_value(metadata, "type") == "txt2img");
  CHECK(extra_value(metadata, "postprocessing") == "(absent)");
  CHECK(extra_value(metadata, "Dream") == "(absent)");
  CHECK_FALSE(mentions(metadata.unmapped, "\"seamless\""));
  CHECK(mentions(metadata.unmapped, "close, not identical"));
}

TEST_CASE("InvokeAI 2: the CLI's weighted sub-prompts, variations and a 2.3 folder hash", "[metadata][invokeai2]") {
  const auto metadata = read_texts({{"sd-metadata", R"json({"model": "stable diffusion",
    "model_id": "stable-diffusion-1.5",
    "model_hash": "4d6f62c2bc5bd1bd5c7fb3a2f5d0e1cbb1c09f4cf3a6e9e0b8e3b5a5e8f0d1c2",
    "app_id": "invoke-ai/InvokeAI", "app_version": "2.3.5",
    "image": {"type": "txt2img", "postprocessing": null, "sampler": "k_dpmpp_2",
              "prompt": [{"prompt": "a tabby cat", "weight": 0.75}, {"prompt": "a tiger [cartoon]", "weight": 0.25}],
              "seed": 1618033988, "variations": [{"seed": 42, "weight": 0.1}], "steps": 30, "cfg_scale": 7.5,
              "threshold": 0, "perlin": 0, "width": 512, "height": 512, "init_mask": null, "facetool": "gfpgan",
              "facetool_strength": 0.0, "upscale": null, "h_symmetry_time_pct": null,
              "v_symmetry_time_pct": null}})json"}});
  CHECK(metadata.source == "invokeai");
  CHECK(metadata.params.prompt == "a tabby cat, a tiger");
  CHECK(metadata.params.negative_prompt == "cartoon");
  CHECK(mentions(metadata.unmapped, "weighted sub-prompts"));
  CHECK(extra_value(metadata, "prompt").find("0.75") != std::string::npos);
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.model == "stable-diffusion-1.5");
  // 2.3 hashes a diffusers folder, which no file's hash can match.
  CHECK(metadata.params.model_hash.empty());
  CHECK(extra_value(metadata, "model_hash").size() == 64);
  CHECK(mentions(metadata.unmapped, "\"variations\" is not applied"));
  CHECK(extra_value(metadata, "facetool") == "gfpgan");
}

TEST_CASE("InvokeAI 2: the oldest images list, img2img strength as strength_steps", "[metadata][invokeai2]") {
  const auto metadata = read_texts({{"sd-metadata", R"json({"model": "stable diffusion",
    "model_id": "stable-diffusion-1.4",
    "model_hash": "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556",
    "app_id": "lstein/stable-diffusion", "app_version": "v1.15",
    "images": [{"type": "img2img", "postprocessing": [], "sampler": "ddim",
                "prompt": [{"prompt": "a watercolor fox", "weight": 1.0}], "seed": 1234, "steps": 50,
                "cfg_scale": 7.5, "width": 512, "height": 512, "strength_steps": 0.6,
                "orig_hash": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
               {"type": "img2img", "postprocessing": [], "sampler": "ddim",
                "prompt": [{"prompt": "a watercolor fox", "weight": 1.0}], "seed": 1235, "steps": 50,
                "cfg_scale": 7.5, "width": 512, "height": 512, "strength_steps": 0.6,
                "orig_hash": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}]})json"}});
  CHECK(metadata.source == "invokeai");
  CHECK(metadata.params.prompt == "a watercolor fox");
  CHECK(metadata.params.seed == 1234);
  CHECK(metadata.params.sampler == "DDIM");
  CHECK(metadata.params.denoising_strength == 0.6);
  CHECK(metadata.params.model_hash == "fe4efff1e1");
  CHECK(mentions(metadata.unmapped, "grid of 2 images"));
  CHECK(extra_value(metadata, "app_id") == "lstein/stable-diffusion");

  // txt2img keeps the unused default strength out of params.
  const auto txt2img = read_texts({{"sd-metadata", R"json({"app_version": "v1.15", "images": [
    {"type": "txt2img", "prompt": [{"prompt": "p", "weight": 1.0}], "strength": 0.3, "sampler": "k_lms"}]})json"}});
  CHECK(txt2img.params.denoising_strength == GenerationParams{}.denoising_strength);
  CHECK(extra_value(txt2img, "strength") == "0.3");
}

TEST_CASE("InvokeAI 2: samplers Atelier does not run are reported", "[metadata][invokeai2]") {
  const auto read_sampler = [](const std::string& sampler) {
    return read_texts({{"sd-metadata", R"json({"app_version": "2.3.0", "image":
      {"prompt": "p", "steps": 20, "sampler": ")json" + sampler + R"json("}})json"}});
  };
  CHECK(read_sampler("plms").params.sampler == "PLMS");
  CHECK(read_sampler("unipc").params.sampler == "UniPC");
  for (const char* sampler : {"k_dpmpp_3m"}) {
    const auto metadata = read_sampler(sampler);
    CHECK(metadata.params.sampler == GenerationParams{}.sampler);
    CHECK(mentions(metadata.unmapped, std::string("\"") + sampler + "\""));
    CHECK(extra_value(metadata, "sampler") == sampler);
  }
}

TEST_CASE("InvokeAI 2: the Dream command alone, with joined or separate values", "[metadata][invokeai2]") {
  const auto oldest = read_texts({{"Dream", "\"a cat [dog]\" -s50 -W640 -H448 -C7.5 -Ak_lms -S42"}});
  CHECK(oldest.source == "invokeai");
  CHECK(oldest.params.prompt == "a cat");
  CHECK(oldest.params.negative_prompt == "dog");
  CHECK(oldest.params.steps == 50);
  CHECK(oldest.params.width == 640);
  CHECK(oldest.params.height == 448);
  CHECK(oldest.params.cfg_scale == 7.5);
  CHECK(oldest.params.sampler == "LMS");
  CHECK(oldest.params.seed == 42);

  const auto cli = read_texts(
      {{"Dream", "a castle on a hill -s 30 -S 7 -W 512 -H 512 -C 6.0 -I outputs/init.png -A k_heun -f 0.55"}});
  CHECK(cli.params.prompt == "a castle on a hill");
  CHECK(cli.params.sampler == "Heun");
  CHECK(cli.params.denoising_strength == 0.55);
  CHECK(extra_value(cli, "Dream").starts_with("a castle"));
}

TEST_CASE("InvokeAI 2: malformed sd-metadata is read without a throw", "[metadata][invokeai2]") {
  const std::string dream = "\"a cat\" -s 25 -S 9 -W 512 -H 512 -C 7.5 -A k_euler";
  // Truncated JSON: the Dream command is read instead, or, without one, no reader knows the image.
  const auto truncated = read_texts({{"sd-metadata", R"json({"image": {"prompt": )json"}, {"Dream", dream}});
  CHECK(truncated.source == "invokeai");
  CHECK(truncated.params.steps == 25);
  CHECK(truncated.params.sampler == "Euler");
  CHECK(read_texts({{"sd-metadata", R"json({"image": {"prompt": )json"}}).source == "none");
  CHECK(read_texts({{"sd-metadata", R"json({"images": "none"})json"}}).source == "none");

  const auto wrong_types = read_texts({{"sd-metadata", R"json({"model_weights": 7, "model_hash": ["x"],
    "app_version": 2, "image": {"prompt": [{"weight": 1}], "steps": "many", "seed": -1.5, "width": null,
    "sampler": 3, "type": ["img2img"], "strength": "0.5", "variations": "yes"}})json"}});
  CHECK(wrong_types.source == "invokeai");
  CHECK(wrong_types.params.steps == GenerationParams{}.steps);
  CHECK(wrong_types.params.prompt.empty());
  CHECK(extra_value(wrong_types, "steps") == "many");
  CHECK(extra_value(wrong_types, "model_weights") == "7");
}

TEST_CASE("Fooocus: its own JSON scheme", "[metadata][fooocus]") {
  const auto metadata = read_texts({{"parameters", R"json({"adm_guidance": "(1.5, 0.8, 0.3)",
    "base_model": "juggernautXL_v8Rundiffusion",
    "base_model_hash": "aeb7e9e6897a1e58b10494bd989d001e3d4bc9b634633cd7b559838f612c2867", "clip_skip": 2,
    "full_negative_prompt": ["unrealistic"], "full_prompt": ["a cat, cinematic"], "guidance_scale": 4,
    "loras": [["sd_xl_offset_example-lora_1.0", 0.1, "4852686128"]], "metadata_scheme": "fooocus",
    "negative_prompt": "", "performance": "Speed", "prompt": "a cat", "refiner_model": "None",
    "resolution": "(1152, 896)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "seed": "2065328367",
    "sharpness": 2, "steps": 30, "styles": "['Fooocus V2', 'Fooocus Sharp']", "vae": "Default (model)",
    "version": "Fooocus v2.5.5"})json"},
                                    {"fooocus_scheme", "fooocus"}});
  CHECK(metadata.source == "fooocus");
  CHECK(metadata.params.prompt == "a cat");
  CHECK(metadata.params.steps == 30);
  CHECK(metadata.params.cfg_scale == 4);
  CHECK(metadata.params.seed == 2065328367);
  CHECK(metadata.params.width == 1152);
  CHECK(metadata.params.height == 896);
  CHECK(metadata.params.sampler == "DPM++ 2M SDE");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(metadata.params.clip_skip == 2);
  CHECK(metadata.params.model == "juggernautXL_v8Rundiffusion");
  CHECK(metadata.params.model_hash == "aeb7e9e689");
  CHECK(extra_value(metadata, "styles") == "['Fooocus V2', 'Fooocus Sharp']");
  CHECK(extra_value(metadata, "version") == "Fooocus v2.5.5");
}

TEST_CASE("Fooocus: the A1111 scheme", "[metadata][fooocus]") {
  const auto metadata = read_texts({{"parameters",
                                     "a cat\nSteps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 5, Size: 896x1152, "
                                     "CFG scale: 4, Sharpness: 2, Version: Fooocus v2.5.5"},
                                    {"fooocus_scheme", "a1111"}});
  CHECK(metadata.source == "fooocus");
  CHECK(metadata.params.sampler == "DPM++ 2M SDE");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(extra_value(metadata, "Sharpness") == "2");
}

TEST_CASE("stable-diffusion.cpp: its parameters text", "[metadata][sdcpp]") {
  const auto metadata = read_texts({{"parameters",
                                     "A sunflower field\nNegative prompt: Blue sky\n"
                                     "Steps: 30, CFG scale: 5.000000, Guidance: 3.500000, Eta: 0.000000, "
                                     "Seed: 1375127038, Size: 512x512, Model: v1-5-pruned-emaonly.safetensors, "
                                     "RNG: cuda, Sampler: dpm++2m karras, Version: stable-diffusion.cpp"}});
  CHECK(metadata.source == "sdcpp");
  CHECK(metadata.params.prompt == "A sunflower field");
  CHECK(metadata.params.negative_prompt == "Blue sky");
  CHECK(metadata.params.steps == 30);
  CHECK(metadata.params.cfg_scale == 5);
  CHECK(metadata.params.seed == 1375127038);
  CHECK(metadata.params.model == "v1-5-pruned-emaonly.safetensors");
  CHECK(metadata.params.noise == NoiseKind::Nv);
  CHECK(metadata.params.sampler == "DPM++ 2M");
  CHECK(metadata.params.schedule == "Karras");
  CHECK(extra_value(metadata, "Guidance") == "3.500000");

  const auto std_rng = read_texts({{"parameters",
                                    "p\nSteps: 20, CFG scale: 7.000000, Seed: 42, Size: 512x512, Model: m.gguf, "
                                    "RNG: std_default, Sampler: euler_a, Version: stable-diffusion.cpp"}});
  CHECK(std_rng.params.sampler == "Euler a");
  CHECK(mentions(std_rng.unmapped, "std_default"));
}

TEST_CASE("Draw Things: Description text and Comment JSON", "[metadata][drawthings]") {
  const auto described = read_texts(
      {{"Description",
        "this image has awesome metadata. it is a picture of a cool dude\n-and a negative prompt\n"
        "Steps: 8, Sampler: DPM++ 2M Karras, Guidance Scale: 4.5, Seed: 3665757974, Size: 1024x768, "
        "Model: z_image_turbo_1.0_q6p.ckpt, Strength: 1.0, Seed Mode: Scale Alike, Shift: 3.0"}});
  CHECK(described.source == "drawthings");
  CHECK(described.params.prompt == "this image has awesome metadata. it is a picture of a cool dude");
  CHECK(described.params.negative_prompt == "and a negative prompt");
  CHECK(described.params.steps == 8);
  CHECK(described.params.sampler == "DPM++ 2M");
  CHECK(described.params.schedule == "Karras");
  CHECK(described.params.cfg_scale == 4.5);
  CHECK(described.params.seed == 3665757974);
  CHECK(described.params.width == 1024);
  CHECK(described.params.height == 768);
  CHECK(described.params.model == "z_image_turbo_1.0_q6p.ckpt");
  CHECK(extra_value(described, "Seed Mode") == "Scale Alike");

  const auto commented = read_texts({{"Comment", R"json({"c": "a <cat>", "uc": "ugly & bad", "model": "m.ckpt",
      "seed": 42, "size": "640x480", "steps": 8, "scale": 1, "strength": 0.5, "sampler": "Euler A",
      "seed_mode": "Scale Alike", "shift": 3})json"},
                                     {"Description", "ignored when the Comment is there"}});
  CHECK(commented.source == "drawthings");
  CHECK(commented.params.prompt == "a <cat>");
  CHECK(commented.params.negative_prompt == "ugly & bad");
  CHECK(commented.params.sampler == "Euler a");
  CHECK(commented.params.denoising_strength == 0.5);
  CHECK(commented.params.width == 640);
  CHECK(extra_value(commented, "seed_mode") == "Scale Alike");
}

TEST_CASE("ours is read first; nothing known gives source none with the texts kept", "[metadata]") {
  GenerationParams params;
  params.prompt = "ours";
  const auto ours = read_texts({{"parameters", "theirs\nSteps: 1, Seed: 2, Size: 64x64"},
                                {"atelier", R"json({"format": "atelier", "version": 1, "prompt": "ours"})json"}});
  CHECK(ours.source == "atelier");
  CHECK(ours.params.prompt == "ours");

  const auto damaged = read_texts({{"parameters", "theirs\nSteps: 1, Seed: 2, Size: 64x64"},
                                   {"atelier", R"json({"format": "atelier", "version": 9})json"}});
  CHECK(damaged.source == "a1111");

  const auto none = read_texts({{"Software", "GIMP 2.10"}});
  CHECK(none.source == "none");
  CHECK(none.extra == MetadataFields{{"Software", "GIMP 2.10"}});
}

TEST_CASE("hostile metadata is read without a crash", "[metadata]") {
  const std::string huge(1 << 20, 'x');
  const std::string invalid_utf8 = "caf\xc3 \xff\xfe";
  const std::string with_nul("a\0b", 3);
  for (const std::string& value : {huge, invalid_utf8, with_nul, std::string("'); DROP TABLE images; --")}) {
    for (const char* keyword :
         {"parameters", "prompt", "invokeai_metadata", "sd-metadata", "Dream", "Comment", "Description", "atelier"}) {
      CHECK_NOTHROW(read_texts({{keyword, value}}));
      CHECK_NOTHROW(read_texts({{keyword, value + "\nSteps: 1, Seed: 2, Size: 999999999x1, Guidance Scale: x"}}));
    }
  }
  CHECK_NOTHROW(read_texts({{"prompt", R"json({"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0],
      "model": ["1", 0], "latent_image": ["1", 0], "seed": "not a number"}}})json"}}));
}
