#include "core/sampling/sampling_run.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace atelier {
namespace {

Denoiser denoiser_for(const SamplingRun& run) {
  if (run.sampler.sampler->kind == SamplerKind::Lcm) return lcm_denoiser(run.eps, run.schedule.lcm());
  return eps_denoiser(run.eps, run.schedule, run.quantize);
}

bool is_ddim(const SamplingRun& run) { return run.sampler.sampler->kind == SamplerKind::Ddim; }

}  // namespace

at::Tensor run_txt2img(const SamplingRun& run, const at::Tensor& noise, NoiseSource& fresh,
                       const StepCallback& callback) {
  at::NoGradGuard no_grad;
  if (is_ddim(run)) {
    return sample_ddim(run.eps, noise, run.schedule, ddim_timesteps(run.steps, run.schedule.levels()),
                       callback);
  }
  const at::Tensor sigmas = sampler_sigmas(run.sampler, run.steps, run.schedule);
  return run.sampler.sampler->function(denoiser_for(run), noise * sigmas[0].item<double>(), sigmas, fresh,
                                       callback);
}

at::Tensor run_img2img(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                       const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback) {
  if (!(strength > 0 && strength <= 1)) {
    throw InvalidArgument("denoising strength must be in (0, 1], got " + std::to_string(strength));
  }
  at::NoGradGuard no_grad;
  const int t_enc = static_cast<int>(std::min(strength, 0.999) * run.steps);
  if (is_ddim(run)) {
    std::vector<std::int64_t> timesteps = ddim_timesteps(run.steps, run.schedule.levels());
    const double alpha = run.schedule.alphas_cumprod()[timesteps[t_enc]].item<double>();
    timesteps.resize(t_enc);
    const at::Tensor x = std::sqrt(alpha) * init_latent + std::sqrt(1 - alpha) * noise;
    return sample_ddim(run.eps, x, run.schedule, timesteps, callback);
  }
  const at::Tensor sigmas =
      sampler_sigmas(run.sampler, run.steps, run.schedule).slice(0, run.steps - t_enc - 1);
  return run.sampler.sampler->function(denoiser_for(run), init_latent + noise * sigmas[0].item<double>(),
                                       sigmas, fresh, callback);
}

}  // namespace atelier
