#pragma once
// A whole sampling run as A1111 drives it: txt2img from noise, img2img from an encoded image,
// for any sampler of the registry.
#include <ATen/ATen.h>

#include <memory>
#include <optional>

#include "core/sampling/denoiser.h"
#include "core/sampling/noise.h"
#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
#include "core/sampling/schedule.h"

namespace atelier {

// A second model taking over part-way (SDXL's refiner), as A1111's apply_refiner decides it by
// default: before each model call, the noise level's index i in the model's sigma table (the
// timestep for the timestep samplers) gives completed = (999 - i) / 1000; from the first call where
// completed >= switch_at on, `model` runs instead. The latent and the sigmas carry on unchanged.
struct Handover {
  EpsModel model;
  bool v_prediction = false;
  double switch_at = 0.8;
  std::shared_ptr<bool> switched = std::make_shared<bool>(false);  // set once the second model has run
};

// Inpainting on any model, as A1111's CFGDenoiser blends: every denoised estimate, and the
// result, keep `init_latent` where `repaint` is 0 (repaint [1, 1, h, w], 1 = repaint).
struct LatentMask {
  at::Tensor init_latent;
  at::Tensor repaint;
  at::Tensor blend(const at::Tensor& latent) const { return latent * repaint + init_latent * (1 - repaint); }
};

struct SamplingRun {
  SamplerChoice sampler;
  int steps;
  // Round k-diffusion timesteps to the model's (A1111's "enable_quantization", off by default).
  bool quantize;
  EpsModel eps;               // the UNet with guidance applied
  DiscreteSchedule schedule;  // the model's
  bool v_prediction = false;  // the model gives v (SD2.x 768-v) rather than ε
  std::optional<Handover> handover;
  std::optional<LatentMask> latent_mask;
  // For CFG++: the unconditional output (ε or v) of the latest call of `eps` or the hand-over
  // model, which they record there (Pipeline::guided_eps).
  std::shared_ptr<const at::Tensor> last_uncond = nullptr;
};

// txt2img from `noise` (unit variance, on the model's device: the first draw of each image's
// source); `fresh` continues those sources for ancestral and SDE steps.
at::Tensor run_txt2img(const SamplingRun& run, const at::Tensor& noise, NoiseSource& fresh,
                       const StepCallback& callback);

// img2img as A1111 with img2img_fix_steps off: t_enc = int(min(strength, 0.999) * steps), then
// the last t_enc + 1 steps of the `steps`-step schedule from `init_latent` noised to that level
// (timestep samplers: the first t_enc timesteps, from alpha_cumprod at timestep t_enc, as A1111's
// CompVisSampler.sample_img2img).
// Throws InvalidArgument unless 0 < strength <= 1.
at::Tensor run_img2img(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                       const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback);

// img2img as A1111 runs it when it is given the steps (its hires pass, or img2img_fix_steps on):
// exactly run.steps steps, the last of a schedule of int(run.steps / min(strength, 0.999)).
// Throws InvalidArgument unless 0 < strength <= 1.
at::Tensor run_img2img_fixed_steps(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                                   const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback);

}  // namespace atelier
