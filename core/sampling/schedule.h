#pragma once
// The noise levels of a discrete-time eps-prediction model and k-diffusion's mapping between
// them and continuous sigmas (k_diffusion/external.py: DiscreteSchedule,
// DiscreteEpsDDPMDenoiser). Tensors are F32 on the CPU, computed as k-diffusion does, so
// schedules and timesteps agree with it to the last few ulps.
#include <ATen/ATen.h>

#include <cstdint>

namespace atelier {

class DiscreteSchedule {
 public:
  // Level i is timestep i, at sigma_i = sqrt((1 - alphas_cumprod_i) / alphas_cumprod_i).
  explicit DiscreteSchedule(const at::Tensor& alphas_cumprod);

  // Stable Diffusion's betas (LDM "linear", diffusers "scaled_linear"):
  // linspace(sqrt(start), sqrt(end), timesteps)^2 and their cumulative product in float64,
  // then rounded to F32 as LDM stores alphas_cumprod.
  static DiscreteSchedule scaled_linear(double linear_start = 0.00085, double linear_end = 0.012,
                                        int timesteps = 1000);

  // A1111's LCM schedule: the 50 levels at timesteps 19, 39, ..., 999 an LCM was distilled on.
  DiscreteSchedule lcm() const;

  const at::Tensor& alphas_cumprod() const { return alphas_cumprod_; }
  const at::Tensor& sigmas() const { return sigmas_; }  // ascending: level 0 is the least noisy
  const at::Tensor& log_sigmas() const { return log_sigmas_; }
  std::int64_t levels() const { return sigmas_.size(0); }
  double sigma_min() const;
  double sigma_max() const;
  // The model timestep of level i.
  std::int64_t timestep(std::int64_t level) const { return level * stride_ + offset_; }

  // sigma (any shape and device) -> model timestep: the nearest level in log sigma when
  // `quantize` (int64), else interpolated between levels in log sigma (F32).
  at::Tensor sigma_to_t(const at::Tensor& sigma, bool quantize) const;
  // Model timestep (CPU) -> sigma, interpolating log sigma between neighbouring levels (F32).
  at::Tensor t_to_sigma(const at::Tensor& t) const;

  // k-diffusion's get_sigmas(n): n sigmas at timesteps evenly spaced from the noisiest level to
  // the least noisy, then a final 0 (A1111's "Uniform" and "Normal").
  at::Tensor uniform_sigmas(int steps) const;

 private:
  DiscreteSchedule(const at::Tensor& alphas_cumprod, std::int64_t stride, std::int64_t offset);

  at::Tensor alphas_cumprod_;
  at::Tensor sigmas_;
  at::Tensor log_sigmas_;
  std::int64_t stride_;  // timestep(level) = level * stride_ + offset_
  std::int64_t offset_;
};

// k-diffusion's append_zero: every schedule ends at sigma 0, the clean image.
at::Tensor append_zero(const at::Tensor& sigmas);

}  // namespace atelier
