#pragma once
// A whole sampling run as A1111 drives it: txt2img from noise, img2img from an encoded image,
// for any sampler of the registry.
#include <ATen/ATen.h>

#include "core/sampling/denoiser.h"
#include "core/sampling/noise.h"
#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
#include "core/sampling/schedule.h"

namespace atelier {

struct SamplingRun {
  SamplerChoice sampler;
  int steps;
  // Round k-diffusion timesteps to the model's (A1111's "enable_quantization", off by default).
  bool quantize;
  EpsModel eps;               // the UNet with guidance applied
  DiscreteSchedule schedule;  // the model's
};

// txt2img from `noise` (unit variance, on the model's device: the first draw of each image's
// source); `fresh` continues those sources for ancestral and SDE steps.
at::Tensor run_txt2img(const SamplingRun& run, const at::Tensor& noise, NoiseSource& fresh,
                       const StepCallback& callback);

// img2img as A1111 with img2img_fix_steps off: t_enc = int(min(strength, 0.999) * steps), then
// the last t_enc + 1 steps of the `steps`-step schedule from `init_latent` noised to that level
// (DDIM: the first t_enc timesteps, from alpha_cumprod at timestep t_enc, as LDM's img2img).
// Throws InvalidArgument unless 0 < strength <= 1.
at::Tensor run_img2img(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                       const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback);

}  // namespace atelier
