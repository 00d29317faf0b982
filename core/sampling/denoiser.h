#pragma once
// The model as samplers see it. The pipeline supplies an EpsModel (the UNet with classifier-free
// guidance applied); k-diffusion samplers call a Denoiser built from it.
#include <ATen/ATen.h>

#include <functional>

#include "core/sampling/schedule.h"

namespace atelier {

// The model's output, the predicted noise ε or (v-prediction models) v, for model input x
// ([B, C, H, W]) at model timesteps t ([B]; int64, or F32 when k-diffusion does not quantize),
// guidance already applied. As a Denoiser is affine in the model output, guiding it gives the
// same denoised latent as k-diffusion's guidance on denoised latents.
using EpsModel = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)>;

// The estimated clean latent for x at noise level sigma ([B], F32, on x's device).
using Denoiser = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& sigma)>;

// k-diffusion's DiscreteEpsDDPMDenoiser: D(x, sigma) = x - sigma * eps(x / sqrt(sigma^2 + 1), t(sigma)),
// t(sigma) nearest (`quantize`) or interpolated in `schedule`.
Denoiser eps_denoiser(EpsModel eps, DiscreteSchedule schedule, bool quantize);

// k-diffusion's CompVisVDenoiser (sigma_data 1) for a v-prediction model:
// D(x, sigma) = v(x c_in, t(sigma)) c_out + x c_skip, c_skip = 1 / (sigma^2 + 1),
// c_out = -sigma / sqrt(sigma^2 + 1), c_in = 1 / sqrt(sigma^2 + 1).
Denoiser v_denoiser(EpsModel v, DiscreteSchedule schedule, bool quantize);

// A1111's LCM denoiser over `lcm_schedule` (DiscreteSchedule::lcm()): the eps denoiser at the
// nearest LCM timestep t, then the consistency boundary condition c_skip * x + c_out * D with
// sigma_data 0.5 at 10 t, which tends to x itself as t approaches 0.
Denoiser lcm_denoiser(EpsModel eps, DiscreteSchedule lcm_schedule);

// A per-image scalar tensor ([B]) shaped to broadcast over a [B, ...] tensor of `dims` dimensions.
at::Tensor append_dims(const at::Tensor& per_image, std::int64_t dims);

}  // namespace atelier
