#include "core/sampling/sampling_run.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "core/error.h"

namespace atelier {
namespace {

Denoiser model_denoiser(const SamplingRun& run, const EpsModel& model, bool v_prediction) {
  if (run.sampler.sampler->kind == SamplerKind::Lcm) return lcm_denoiser(model, run.schedule.lcm());
  if (v_prediction) return v_denoiser(model, run.schedule, run.quantize);
  return eps_denoiser(model, run.schedule, run.quantize);
}

// Whether the hand-over happens at this call: `level` is the index of the current noise level
// in the 1000-entry table.
bool hand_over_now(const Handover& handover, std::int64_t level) {
  if (!*handover.switched && (999 - level) / 1000.0 >= handover.switch_at) *handover.switched = true;
  return *handover.switched;
}

Denoiser handed_over(const SamplingRun& run) {
  Denoiser base = model_denoiser(run, run.eps, run.v_prediction);
  if (!run.handover) return base;
  Denoiser second = model_denoiser(run, run.handover->model, run.handover->v_prediction);
  const at::Tensor table = run.schedule.sigmas();
  return [base, second, table, handover = *run.handover](const at::Tensor& x, const at::Tensor& sigma) {
    const double highest = sigma.max().item<double>();
    const auto level = (table - highest).abs().argmin().item<std::int64_t>();
    return hand_over_now(handover, level) ? second(x, sigma) : base(x, sigma);
  };
}

Denoiser denoiser_for(const SamplingRun& run) {
  Denoiser denoiser = handed_over(run);
  if (!run.latent_mask) return denoiser;
  return [denoiser, mask = *run.latent_mask](const at::Tensor& x, const at::Tensor& sigma) {
    return mask.blend(denoiser(x, sigma));
  };
}

// A v model's output as the ε a timestep sampler steps with (A1111's CompVisTimestepsVDenoiser):
// ε = sqrt(a) v + sqrt(1 - a) x, a = alphas_cumprod at the timestep truncated to an integer.
at::Tensor eps_from_v(const at::Tensor& v, const at::Tensor& x, const at::Tensor& t, const DiscreteSchedule& schedule) {
  const at::Tensor a = schedule.alphas_cumprod().index_select(0, t.to(at::kCPU, at::kLong));
  const at::Tensor alpha = append_dims(a, x.dim()).to(x.options());
  return alpha.sqrt() * v + (1 - alpha).sqrt() * x;
}

// The run's model in eps-space as A1111's timestep samplers call it: the hand-over decided by the
// timestep, which A1111 reads as the table index there. Inpainting blends each call's input, not
// its output, towards the init latent (CFGDenoiserTimesteps' mask_before_denoising); the sampler
// steps its own latent.
TimestepModel timestep_model_for(const SamplingRun& run) {
  struct Call {
    at::Tensor x, t;
    bool v_prediction = false;
  };
  const auto last = std::make_shared<Call>();
  TimestepModel model;
  model.eps = [run, last](const at::Tensor& latent, const at::Tensor& t) {
    const at::Tensor x = run.latent_mask ? run.latent_mask->blend(latent) : latent;
    const bool second = run.handover && hand_over_now(*run.handover, t.max().item<std::int64_t>());
    *last = {x, t, second ? run.handover->v_prediction : run.v_prediction};
    const at::Tensor output = second ? run.handover->model(x, t) : run.eps(x, t);
    return last->v_prediction ? eps_from_v(output, x, t, run.schedule) : output;
  };
  if (run.last_uncond) {
    model.last_uncond_eps = [last, uncond = run.last_uncond, schedule = run.schedule] {
      return last->v_prediction ? eps_from_v(*uncond, last->x, last->t, schedule) : *uncond;
    };
  }
  return model;
}

bool steps_through_timesteps(const SamplingRun& run) { return run.sampler.sampler->kind == SamplerKind::Timesteps; }

// The samples as A1111's img2img hands them on: blended once more with the init latent where kept.
at::Tensor finished(const SamplingRun& run, const at::Tensor& samples) {
  return run.latent_mask ? run.latent_mask->blend(samples) : samples;
}

}  // namespace

at::Tensor run_txt2img(const SamplingRun& run, const at::Tensor& noise, NoiseSource& fresh,
                       const StepCallback& callback) {
  at::NoGradGuard no_grad;
  if (steps_through_timesteps(run)) {
    auto timesteps = ddim_timesteps(run.steps, run.schedule.levels());
    // "DDIM" as CompVis's DDIMSampler runs it (the reference fixtures, A1111 before 1.6): `steps`
    // calls, the last down to alphas_cumprod[0], where A1111 1.6's loop stops a call short.
    if (run.sampler.sampler->name == "DDIM") timesteps.insert(timesteps.begin(), 0);
    return finished(run, run.sampler.sampler->timestep_function(timestep_model_for(run), noise, run.schedule,
                                                                timesteps, false, callback));
  }
  const at::Tensor sigmas = sampler_sigmas(run.sampler, run.steps, run.schedule);
  return finished(run, run.sampler.sampler->function(denoiser_for(run), noise * sigmas[0].item<double>(), sigmas,
                                                     fresh, callback));
}

namespace {

void check_strength(double strength) {
  if (!(strength > 0 && strength <= 1)) {
    throw InvalidArgument("denoising strength must be in (0, 1], got " + std::to_string(strength));
  }
}

// The last t_enc + 1 steps of a `schedule_steps`-step schedule from `init_latent` noised to that
// level (DDIM: the first t_enc timesteps, from alpha_cumprod at timestep t_enc, as LDM's img2img).
at::Tensor img2img(const SamplingRun& run, int schedule_steps, int t_enc, const at::Tensor& init_latent,
                   const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback) {
  at::NoGradGuard no_grad;
  if (steps_through_timesteps(run)) {
    std::vector<std::int64_t> timesteps = ddim_timesteps(schedule_steps, run.schedule.levels());
    const double alpha = run.schedule.alphas_cumprod()[timesteps[t_enc]].item<double>();
    timesteps.resize(t_enc);
    const at::Tensor x = std::sqrt(alpha) * init_latent + std::sqrt(1 - alpha) * noise;
    return finished(run,
                    run.sampler.sampler->timestep_function(timestep_model_for(run), x, run.schedule, timesteps, true, callback));
  }
  const at::Tensor sigmas =
      sampler_sigmas(run.sampler, schedule_steps, run.schedule).slice(0, schedule_steps - t_enc - 1);
  return finished(run, run.sampler.sampler->function(denoiser_for(run), init_latent + noise * sigmas[0].item<double>(),
                                                     sigmas, fresh, callback));
}

}  // namespace

at::Tensor run_img2img(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                       const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback) {
  check_strength(strength);
  const int t_enc = static_cast<int>(std::min(strength, 0.999) * run.steps);
  return img2img(run, run.steps, t_enc, init_latent, noise, fresh, callback);
}

at::Tensor run_img2img_fixed_steps(const SamplingRun& run, const at::Tensor& init_latent, double strength,
                                   const at::Tensor& noise, NoiseSource& fresh, const StepCallback& callback) {
  check_strength(strength);
  const int schedule_steps = static_cast<int>(run.steps / std::min(strength, 0.999));
  return img2img(run, schedule_steps, run.steps - 1, init_latent, noise, fresh, callback);
}

}  // namespace atelier
