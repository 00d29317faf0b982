#pragma once
// Every knob of a generation, in one struct: the studio, the CLI, the gallery and re-runs all
// speak it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/image.h"
#include "core/pipeline/device_policy.h"
#include "core/sampling/noise.h"

namespace atelier {

struct GenerationParams {
  std::string prompt;
  std::string negative_prompt;
  int steps = 20;
  double cfg_scale = 7.0;
  std::string sampler = "Euler a";    // A1111 name; legacy "DPM++ 2M Karras" accepted
  std::string schedule = "Automatic";  // A1111 schedule type
  std::int64_t seed = -1;              // -1: random; the seed used is recorded in the result
  int width = 512;
  int height = 512;
  int batch_count = 1;
  int batch_size = 1;
  int clip_skip = 1;
  NoiseKind noise = NoiseKind::Cpu;
  bool quantize_timesteps = false;  // A1111's default; ComfyUI quantizes
  // A1111's variation seed ("subseed"): the initial noise slerped towards this seed's by
  // `variation_strength`; with a strength above 0 every image of the batch keeps `seed` and the
  // variation seed counts up instead. -1: random, as `seed`.
  std::int64_t variation_seed = -1;
  double variation_strength = 0;
  // A1111's "Resize seed from": the noise drawn at this size and centred in the latent, so a
  // seed keeps its composition at another size; 0 × 0 (either 0): off.
  int seed_resize_from_width = 0;
  int seed_resize_from_height = 0;

  // img2img
  std::optional<std::filesystem::path> init_image;
  double denoising_strength = 0.75;
  ResizeMode resize_mode = ResizeMode::JustResize;
  // Inpainting (img2img with a mask, A1111's img2img inpaint tab): white repaints, black keeps;
  // the init image's size.
  std::optional<std::filesystem::path> mask;
  int mask_blur = 4;         // A1111's default, pixels
  bool invert_mask = false;  // A1111's "Inpaint not masked"
  // A1111's "Inpaint area": the whole picture at the generation size, or only a box around the
  // mask (grown by `masked_padding` pixels) generated at that size and pasted back.
  enum class InpaintArea { WholePicture, OnlyMasked } inpaint_area = InpaintArea::WholePicture;
  int masked_padding = 32;  // A1111's "Only masked padding, pixels"
  // A1111's "Masked content": what the masked area starts from.
  enum class MaskedContent { Fill, Original, LatentNoise, LatentNothing } masked_content = MaskedContent::Original;
  // Outpainting: the init image extended by these many pixels on each side, the new area inpainted.
  struct Borders {
    int left = 0, right = 0, top = 0, bottom = 0;
    bool any() const { return left || right || top || bottom; }
  } outpaint;

  // A1111's hires fix: the first pass at width x height, upscaled by `hires_scale` (or to
  // hires_width x hires_height when both are set) with `hires_upscaler` (a latent mode or a pixel
  // upscaler), then an img2img pass of `hires_steps` (0: `steps`) at `denoising_strength`, with
  // its own sampler and prompts (empty: the first pass's).
  bool hires_fix = false;
  double hires_scale = 2.0;
  int hires_width = 0, hires_height = 0;
  int hires_steps = 0;
  std::string hires_upscaler = "Latent";
  std::string hires_sampler;
  std::string hires_prompt;
  std::string hires_negative_prompt;

  // A1111's "Tiling": seamless textures, circular padding in the UNet's and the VAE's convolutions.
  bool tiling = false;

  std::filesystem::path model;  // a checkpoint file or a diffusers folder
  std::string model_hash;  // AutoV2: first 10 hex digits of the file's SHA-256

  // The VAE, as A1111's setting (vae_choice.h): "auto" (A1111's Automatic: a VAE beside the
  // model named like it, else the model's own), "none" (the model's own), or a VAE file or
  // diffusers folder path, or a VAE's file name.
  std::string vae = "auto";
  // The standalone VAE that ran, as A1111 records it: its file name and AutoV2 hash; empty
  // when the model's own VAE ran.
  std::string vae_name;
  std::string vae_hash;

  // SDXL refiner: a second checkpoint taking over at `refiner_switch_at` (A1111's "Switch at").
  std::optional<std::filesystem::path> refiner;
  std::string refiner_hash;
  double refiner_switch_at = 0.8;

  // The prompt's add-ons as run, filled by the pipeline as A1111's infotext names them: each
  // network by the name the prompt used with its short hash (the addnet hash of a
  // .safetensors file, first 12 hex digits), each embedding with its AutoV2 hash.
  std::vector<std::pair<std::string, std::string>> lora_hashes;
  std::vector<std::pair<std::string, std::string>> ti_hashes;

  DeviceChoice device = DeviceChoice::Auto;
  Precision precision = Precision::Auto;
  int threads = 0;  // 0: every hardware thread
  enum class VaeTiling { Auto, On, Off } vae_tiling = VaeTiling::Auto;
};

std::string_view to_string(GenerationParams::VaeTiling tiling);  // "auto", "on", "off"
GenerationParams::VaeTiling parse_vae_tiling(std::string_view name);  // InvalidArgument otherwise

// Throws InvalidArgument naming the first field out of range (size not a multiple of 8, ...).
void validate(const GenerationParams& params);

}  // namespace atelier
