#pragma once
// What the whole-run parity tests of every family share: A1111's names for the fixtures'
// samplers, the 8-bit image measure, and init images written from reference pixels.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "core/io/image.h"
#include "core/io/png.h"
#include "core/pipeline/generation_params.h"
#include "support/test_device.h"
#include <nlohmann/json.hpp>

namespace atelier::test {

// The fixtures' sampler names as A1111 spells them, with their schedule type.
inline std::pair<std::string, std::string> a1111_sampler(const std::string& name) {
  static const std::map<std::string, std::pair<std::string, std::string>> names{
      {"euler", {"Euler", "Uniform"}},
      {"euler_noquant", {"Euler", "Uniform"}},
      {"euler_quantized", {"Euler", "Uniform"}},
      {"euler_a", {"Euler a", "Uniform"}},
      {"heun", {"Heun", "Uniform"}},
      {"lms", {"LMS", "Uniform"}},
      {"dpmpp_2m_karras", {"DPM++ 2M", "Karras"}},
      {"dpmpp_2m_sde_karras", {"DPM++ 2M SDE", "Karras"}},
      {"ddim", {"DDIM", "Automatic"}},
  };
  return names.at(name);
}

// The fraction of 8-bit channel values within ±1 of the reference [H, W, 3].
inline double fraction_within_one_level(const Image8& image, const at::Tensor& reference_hwc) {
  auto ours = at::from_blob(const_cast<uint8_t*>(image.rgb.data()), {image.height, image.width, 3}, at::kByte);
  if (ours.sizes() != reference_hwc.sizes()) return 0;
  auto diff = (ours.to(at::kInt) - reference_hwc.to(at::kInt)).abs();
  return (diff <= 1).to(at::kDouble).mean().item<double>();
}

// Writes the reference pixels [H, W, 3] (U8) as a PNG at `path`, for an init image.
inline void write_reference_png(const std::filesystem::path& path, const at::Tensor& hwc) {
  auto pixels = hwc.contiguous();
  Image8 image{static_cast<int>(pixels.size(1)), static_cast<int>(pixels.size(0)),
               std::vector<uint8_t>(pixels.data_ptr<uint8_t>(), pixels.data_ptr<uint8_t>() + pixels.numel())};
  write_png(path, image, {});
}

// The request of a reference txt2img case, from its prompt text (the fixtures name the CFG
// scale `cfg_scale` or `cfg`; a case without `quantize`, DDIM, is quantized).
inline GenerationParams case_params(const nlohmann::json& c, const std::filesystem::path& model) {
  GenerationParams params;
  params.model = model;
  params.prompt = c["prompt"];
  params.negative_prompt = c["negative_prompt"];
  std::tie(params.sampler, params.schedule) = a1111_sampler(c["sampler"]);
  params.steps = c["steps"];
  params.cfg_scale = c.contains("cfg_scale") ? c["cfg_scale"].get<double>() : c["cfg"].get<double>();
  params.seed = c["seed"];
  if (c.contains("image_hw")) {
    params.height = c["image_hw"][0];
    params.width = c["image_hw"][1];
  } else if (c.contains("height")) {
    params.height = c["height"];
    params.width = c["width"];
  }
  params.quantize_timesteps = !c.contains("quantize") || c["quantize"].is_null() || c["quantize"].get<bool>();
  params.device = test_device();
  params.precision = test_precision();
  return params;
}

// The request of a reference img2img case, its init image written to `init_png`.
inline GenerationParams img2img_params(const nlohmann::json& c, const std::filesystem::path& model,
                                       const at::Tensor& init_hwc, const std::filesystem::path& init_png) {
  write_reference_png(init_png, init_hwc);
  auto params = case_params(c, model);
  params.init_image = init_png;
  params.denoising_strength = c["strength"];
  return params;
}

}  // namespace atelier::test
