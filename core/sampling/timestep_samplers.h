#pragma once
// A1111's timestep samplers (modules/sd_samplers_timesteps.py and _impl.py): DDIM, DDIM CFG++,
// PLMS and UniPC step in eps-space through model timesteps rather than k-diffusion sigmas.
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/sampling/denoiser.h"
#include "core/sampling/samplers.h"
#include "core/sampling/schedule.h"

namespace atelier {

// A1111's timesteps for `steps` steps of a `levels`-timestep model: 1, 1 + c, 1 + 2c, ... with
// c = levels / steps (integer division), clipped to levels - 1. When c does not divide `levels`
// there are more than `steps`. Throws InvalidArgument unless 1 <= steps <= levels.
std::vector<std::int64_t> ddim_timesteps(int steps, std::int64_t levels = 1000);

// The model as A1111's CFGDenoiserTimesteps gives it to these samplers: the guided ε for x at
// timesteps t ([B]: int64 for DDIM and PLMS, F32 for UniPC), and for CFG++ the unconditional ε
// of the latest call (empty when the run does not record it).
struct TimestepModel {
  EpsModel eps;
  std::function<at::Tensor()> last_uncond_eps;
};

// A timestep sampler: from x at the last of `timesteps` (ascending) down to the first, x as the
// model sees it (unit variance at timestep 999, not scaled by a sigma). `img2img` tells UniPC
// that x was noised to the last timestep rather than to the end of the schedule.
using TimestepSamplerFunction = at::Tensor (*)(const TimestepModel& model, at::Tensor x,
                                               const DiscreteSchedule& schedule,
                                               const std::vector<std::int64_t>& timesteps, bool img2img,
                                               const StepCallback& callback);

// DDIM with eta 0 (A1111's default), len(timesteps) - 1 steps, each from alpha_cumprod at
// timesteps[i] to timesteps[i - 1]: the result is at timesteps[0], not at 0 (with a 0 in front
// of LDM's timesteps, this is LDM's DDIMSampler). The callback's "denoised" is x0.
at::Tensor sample_ddim(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                       const std::vector<std::int64_t>& timesteps, bool img2img, const StepCallback& callback);

// DDIM CFG++ (Chung et al. 2024, A1111's ddim_cfgpp): DDIM whose re-noising direction is the
// unconditional ε; the guidance scale is divided by 12.5 (see guidance_scale in sampler_registry.h).
at::Tensor sample_ddim_cfgpp(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                             const std::vector<std::int64_t>& timesteps, bool img2img,
                             const StepCallback& callback);

// PLMS (pseudo linear multistep): a pseudo improved Euler first step (two model calls), then
// Adams-Bashforth on ε of orders 2, 3 and 4; DDIM's update with the combined ε.
at::Tensor sample_plms(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                       const std::vector<std::int64_t>& timesteps, bool img2img, const StepCallback& callback);

// UniPC (Zhao et al. 2023) as A1111 runs it with its default settings: multistep, data
// prediction, variant bh1, order 3, time-uniform steps with lower orders at the end, as many
// steps as there are timesteps, from t = 1 (img2img: from the last timestep) to t = 1/levels,
// the model called at continuous timesteps. Throws InvalidArgument for fewer than 3 steps.
at::Tensor sample_unipc(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                        const std::vector<std::int64_t>& timesteps, bool img2img, const StepCallback& callback);

}  // namespace atelier
