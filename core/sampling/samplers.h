#pragma once
// The k-diffusion samplers, each a short loop that reads like its formula (k_diffusion/sampling.py,
// A1111's sample_lcm; DDIM and the other timestep samplers are in timestep_samplers.h). Per-step
// scalars are computed in double from the F32 sigmas; tensors stay in x's dtype and device.
#include <ATen/ATen.h>

#include <functional>

#include "core/sampling/denoiser.h"
#include "core/sampling/noise.h"
#include "core/sampling/schedule.h"

namespace atelier {

// Called once per step with the latent at the start of the step and the model's estimate of
// the clean latent there (k-diffusion's callback). Throw (atelier::Cancelled) to stop.
using StepCallback =
    std::function<void(int step, int total, const at::Tensor& x, const at::Tensor& denoised)>;

inline void report(const StepCallback& callback, int step, int total, const at::Tensor& x, const at::Tensor& denoised) {
  if (callback) callback(step, total, x, denoised);
}

// A k-diffusion sampler: from x at noise level sigmas[0] down the descending `sigmas` (F32,
// CPU, usually ending at 0), one step per pair. Ancestral and SDE samplers draw their fresh
// noise from `noise`, continuing its stream; deterministic ones leave it untouched. Ancestral
// and SDE steps use eta 1 and s_noise 1, A1111's defaults.
using SamplerFunction = at::Tensor (*)(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                       NoiseSource& noise, const StepCallback& callback);

at::Tensor sample_euler(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                        const StepCallback& callback);
at::Tensor sample_euler_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                  NoiseSource& noise, const StepCallback& callback);
at::Tensor sample_heun(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                       const StepCallback& callback);
// Linear multistep of order 4, its coefficients integrating the Lagrange basis exactly.
at::Tensor sample_lms(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                      const StepCallback& callback);
at::Tensor sample_dpm_2(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                        const StepCallback& callback);
at::Tensor sample_dpm_2_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                  NoiseSource& noise, const StepCallback& callback);
at::Tensor sample_dpmpp_2s_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                     NoiseSource& noise, const StepCallback& callback);
at::Tensor sample_dpmpp_2m(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                           const StepCallback& callback);
// DPM-Solver++ (stochastic), r = 1/2. k-diffusion (and A1111) take its noise from a Brownian
// tree; here two draws a step from `noise` make the half step's and the whole step's noise as
// increments of one Brownian path: the same statistics, not the same images as A1111.
at::Tensor sample_dpmpp_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                            const StepCallback& callback);
// DPM-Solver++(2M) SDE, midpoint solver. Noise from `noise` (one draw a step) rather than
// A1111's Brownian tree, as for sample_dpmpp_sde.
at::Tensor sample_dpmpp_2m_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                               NoiseSource& noise, const StepCallback& callback);
// The same with k-diffusion's heun solver (A1111's "DPM++ 2M SDE Heun").
at::Tensor sample_dpmpp_2m_sde_heun(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                    NoiseSource& noise, const StepCallback& callback);
// DPM-Solver++(3M) SDE; noise as for sample_dpmpp_2m_sde.
at::Tensor sample_dpmpp_3m_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                               NoiseSource& noise, const StepCallback& callback);
// DPM-Solver fast (fixed steps of order 3, then 2 and 1) and adaptive (orders 2 and 3 with a PID
// step-size controller), eta 1 as A1111 runs them, over the range from sigmas[0] to the last
// sigma above 0 with as many model evaluations as `sigmas` has steps; they end at that last
// sigma, as in k-diffusion. Adaptive takes as many steps as its error control needs.
at::Tensor sample_dpm_fast(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                           const StepCallback& callback);
at::Tensor sample_dpm_adaptive(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                               const StepCallback& callback);
// A1111's Restart sampler (modules/sd_samplers_extra.py): Heun steps, with restarts from 20 steps.
at::Tensor sample_restart(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                          const StepCallback& callback);
// A1111's LCM: jump to the model's estimate, then renoise to the next level. Meant for
// lcm_denoiser over DiscreteSchedule::lcm().
at::Tensor sample_lcm(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                      const StepCallback& callback);

}  // namespace atelier
