#include "core/sampling/schedule.h"

#include <cmath>

namespace atelier {

DiscreteSchedule::DiscreteSchedule(const at::Tensor& alphas_cumprod)
    : DiscreteSchedule(alphas_cumprod, 1, 0) {}

DiscreteSchedule::DiscreteSchedule(const at::Tensor& alphas_cumprod, std::int64_t stride, std::int64_t offset)
    : alphas_cumprod_(alphas_cumprod.to(at::kCPU, at::kFloat).contiguous()),
      sigmas_(((1 - alphas_cumprod_) / alphas_cumprod_).sqrt()),
      log_sigmas_(sigmas_.log()),
      stride_(stride),
      offset_(offset) {}

DiscreteSchedule DiscreteSchedule::scaled_linear(double linear_start, double linear_end, int timesteps) {
  const at::Tensor betas =
      at::linspace(std::sqrt(linear_start), std::sqrt(linear_end), timesteps, at::kDouble).pow(2);
  return DiscreteSchedule((1 - betas).cumprod(0).to(at::kFloat));
}

DiscreteSchedule DiscreteSchedule::lcm() const {
  constexpr std::int64_t kLcmLevels = 50;
  const std::int64_t stride = levels() / kLcmLevels;
  return DiscreteSchedule(alphas_cumprod_.slice(0, stride - 1, levels(), stride), stride, stride - 1);
}

double DiscreteSchedule::sigma_min() const { return sigmas_[0].item<double>(); }
double DiscreteSchedule::sigma_max() const { return sigmas_[-1].item<double>(); }

at::Tensor DiscreteSchedule::sigma_to_t(const at::Tensor& sigma, bool quantize) const {
  const at::Tensor log_sigma = sigma.detach().to(at::kCPU, at::kFloat).reshape(-1).log();
  const at::Tensor dists = log_sigma - log_sigmas_.unsqueeze(1);  // [levels, n]
  at::Tensor level;
  if (quantize) {
    level = dists.abs().argmin(0);
  } else {
    // The last level at or below log sigma, and how far log sigma lies towards the next one.
    const at::Tensor low = dists.ge(0).cumsum(0).argmax(0).clamp_max(levels() - 2);
    const at::Tensor high = low + 1;
    const at::Tensor low_log = log_sigmas_.take(low);
    const at::Tensor high_log = log_sigmas_.take(high);
    const at::Tensor w = ((low_log - log_sigma) / (low_log - high_log)).clamp(0, 1);
    level = (1 - w) * low + w * high;
  }
  return (level * stride_ + offset_).view(sigma.sizes()).to(sigma.device());
}

at::Tensor DiscreteSchedule::t_to_sigma(const at::Tensor& t) const {
  const at::Tensor level = ((t.to(at::kFloat) - offset_) / stride_).clamp(0, levels() - 1);
  const at::Tensor w = level.frac();
  const at::Tensor low_log = log_sigmas_.take(level.floor().to(at::kLong));
  const at::Tensor high_log = log_sigmas_.take(level.ceil().to(at::kLong));
  return ((1 - w) * low_log + w * high_log).exp();
}

at::Tensor DiscreteSchedule::uniform_sigmas(int steps) const {
  return append_zero(t_to_sigma(at::linspace(timestep(levels() - 1), timestep(0), steps, at::kFloat)));
}

at::Tensor append_zero(const at::Tensor& sigmas) { return at::cat({sigmas, sigmas.new_zeros({1})}); }

}  // namespace atelier
