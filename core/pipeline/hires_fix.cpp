#include "core/pipeline/hires_fix.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "core/error.h"
#include "core/io/image_scaling.h"
#include "core/sampling/sampler_registry.h"
#include "core/text/extra_networks.h"

namespace atelier {
namespace {

using Filter = LatentUpscaleMode::Filter;

constexpr std::array<std::pair<std::string_view, LatentUpscaleMode>, 6> kLatentModes{{
    {"Latent", {Filter::Bilinear, false}},
    {"Latent (antialiased)", {Filter::Bilinear, true}},
    {"Latent (bicubic)", {Filter::Bicubic, false}},
    {"Latent (bicubic antialiased)", {Filter::Bicubic, true}},
    {"Latent (nearest)", {Filter::Nearest, false}},
    {"Latent (nearest-exact)", {Filter::NearestExact, false}},
}};

// The hires prompt as the text encoders see it. A1111 activates the hires prompt's networks for
// the second pass; Atelier applies one set per generation, so they must be the prompt's.
std::string hires_prompt_text(const GenerationParams& p) {
  const auto prompt = remove_extra_network_tags(p.prompt);
  if (p.hires_prompt.empty()) return prompt.text;
  auto hires = remove_extra_network_tags(p.hires_prompt);
  if (network_requests(hires.tags) != network_requests(prompt.tags))
    throw InvalidArgument("the hires prompt's LoRA tags must be the prompt's: Atelier applies one set of networks to "
                          "both passes");
  return std::move(hires.text);
}

// A1111's resize_image(0, image, width, height, upscaler): the upscaler when it enlarges, then
// Lanczos to the exact size; "None" (no upscaler) resizes with Lanczos alone.
Image8 upscale_image(const Image8& image, const Upscaler* upscaler, int width, int height) {
  Image8 result = image;
  const double scale = std::max(static_cast<double>(width) / image.width, static_cast<double>(height) / image.height);
  if (upscaler && scale > 1.0) result = upscaler->upscale(image, scale);
  if (result.width != width || result.height != height) result = resize_lanczos(result, width, height);
  return result;
}

}  // namespace

std::vector<std::string> latent_upscale_mode_names() {
  std::vector<std::string> names;
  for (const auto& [name, mode] : kLatentModes) names.emplace_back(name);
  return names;
}

std::vector<std::string> built_in_hires_upscalers() {
  auto names = latent_upscale_mode_names();
  names.insert(names.end(), kBuiltInUpscalers.begin(), kBuiltInUpscalers.end());
  return names;
}

std::optional<LatentUpscaleMode> latent_upscale_mode(std::string_view upscaler) {
  for (const auto& [name, mode] : kLatentModes)
    if (name == upscaler) return mode;
  return std::nullopt;
}

at::Tensor upscale_latent(const at::Tensor& latent, LatentUpscaleMode mode, std::int64_t height, std::int64_t width) {
  const std::vector<std::int64_t> size{height, width};
  switch (mode.filter) {
    case Filter::Nearest: return at::upsample_nearest2d(latent, size);
    case Filter::NearestExact: return at::_upsample_nearest_exact2d(latent, size);
    case Filter::Bilinear:
      return mode.antialias ? at::_upsample_bilinear2d_aa(latent, size, /*align_corners=*/false)
                            : at::upsample_bilinear2d(latent, size, /*align_corners=*/false);
    case Filter::Bicubic:
      return mode.antialias ? at::_upsample_bicubic2d_aa(latent, size, /*align_corners=*/false)
                            : at::upsample_bicubic2d(latent, size, /*align_corners=*/false);
  }
  throw InvalidArgument("unknown latent upscale mode");
}

HiresFix::HiresFix(Pipeline& pipeline, const GenerationParams& params, StableDiffusionModel* refiner)
    : pipeline_(pipeline),
      params_(params),
      size_(hires_size(params, pipeline.model().vae->config().downsample_factor())),
      latent_mode_(latent_upscale_mode(params.hires_upscaler)),
      sampler_(choose_sampler(params.hires_sampler.empty() ? params.sampler : params.hires_sampler, params.schedule)),
      steps_(params.hires_steps > 0 ? params.hires_steps : params.steps),
      refiner_(refiner) {
  if (!latent_mode_ && params.hires_upscaler != "None")
    upscaler_ = open_upscaler(params.hires_upscaler, pipeline.upscaler_finder());
  // A1111's calculate_hr_conds: the hires prompts at the upscaled size, their prompt editing
  // counting on from the first pass's steps (each pass's sampler counting its own calls).
  GenerationParams hires = params;
  hires.prompt = hires_prompt_text(params);
  if (!params.hires_negative_prompt.empty()) hires.negative_prompt = params.hires_negative_prompt;
  hires.width = size_.upscale_width;
  hires.height = size_.upscale_height;
  const ScheduleOptions schedule{prompt_editing_steps(*sampler_.sampler, steps_)};
  prompts_ = pipeline.encode_prompts(hires, schedule);
  if (refiner_) refiner_prompts_ = pipeline.encode_prompts(*refiner_, hires, schedule);
  if (pipeline.model().info.inpainting) {
    // A1111's img2img_image_conditioning of the whole image repainted, which with its default
    // inpainting_mask_weight 1 is txt2img's grey image: the same for the latent and pixel paths.
    const int factor = pipeline.model().vae->config().downsample_factor();
    const int height = size_.latent_height(factor) * factor, width = size_.latent_width(factor) * factor;
    const auto concat = pipeline.inpainting_concat(at::zeros({1, 3, height, width}), at::ones({1, 1, height, width}),
                                                   params.vae_tiling);
    for (auto* scheduled : {&prompts_.cond, &prompts_.uncond})
      for (auto& conditioning : scheduled->conditionings) conditioning.concat = concat;
  }
}

at::Tensor HiresFix::upscale(const at::Tensor& first_pass) {
  const int factor = pipeline_.model().vae->config().downsample_factor();
  at::Tensor samples;
  if (latent_mode_) {
    samples = upscale_latent(first_pass, *latent_mode_, size_.upscale_height / factor, size_.upscale_width / factor);
  } else {
    const auto decoded = pipeline_.decode(first_pass, params_.vae_tiling).to(at::kCPU, at::kFloat);
    std::vector<at::Tensor> latents;  // one by one, as A1111 encodes them
    for (int64_t i = 0; i < decoded.size(0); ++i) {
      const Image8 image = upscale_image(tensor_to_image(decoded.narrow(0, i, 1)), upscaler_ ? &*upscaler_ : nullptr,
                                         size_.upscale_width, size_.upscale_height);
      latents.push_back(pipeline_.encode_latent(image_to_tensor(image), params_.vae_tiling));
    }
    samples = at::cat(latents);
  }
  return samples.narrow(2, size_.crop_rows / 2, samples.size(2) - size_.crop_rows)
      .narrow(3, size_.crop_columns / 2, samples.size(3) - size_.crop_columns);
}

at::Tensor HiresFix::run(const at::Tensor& first_pass, const std::vector<std::uint64_t>& seeds,
                         const SeedVariation& variation, const StepCallback& on_step, const std::atomic<bool>* cancel) {
  const at::Tensor samples = upscale(first_pass);
  BatchNoise noise(params_.noise, seeds);
  const auto initial = initial_noise(noise, samples.sizes(), variation).to(samples.options());
  const auto& info = pipeline_.model().info;
  const auto step = std::make_shared<int>(0);  // the pass's prompt-editing count, carried on by the refiner
  SamplingRun run{sampler_,
                  steps_,
                  params_.quantize_timesteps,
                  pipeline_.guided_eps(pipeline_.model(), prompts_, params_.cfg_scale, cancel, step),
                  DiscreteSchedule::scaled_linear(info.schedule.linear_start, info.schedule.linear_end,
                                                  info.schedule.timesteps),
                  info.prediction == Prediction::V,
                  std::nullopt,
                  std::nullopt};
  if (refiner_)
    run.handover = Handover{pipeline_.guided_eps(*refiner_, refiner_prompts_, params_.cfg_scale, cancel, step),
                            refiner_->info.prediction == Prediction::V, params_.refiner_switch_at};
  auto latent = run_img2img_fixed_steps(run, samples, params_.denoising_strength, initial, noise, on_step);
  refined_ = run.handover && *run.handover->switched;
  return latent;
}

}  // namespace atelier
