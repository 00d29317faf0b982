#include "core/sampling/denoiser.h"

#include <utility>
#include <vector>

namespace atelier {

at::Tensor append_dims(const at::Tensor& per_image, std::int64_t dims) {
  std::vector<std::int64_t> shape(dims, 1);
  shape[0] = per_image.size(0);
  return per_image.view(shape);
}

Denoiser eps_denoiser(EpsModel eps, DiscreteSchedule schedule, bool quantize) {
  return [eps = std::move(eps), schedule = std::move(schedule), quantize](const at::Tensor& x,
                                                                          const at::Tensor& sigma) {
    const at::Tensor s = append_dims(sigma, x.dim());
    const at::Tensor c_in = 1 / (s * s + 1).sqrt();
    return x - s * eps(x * c_in, schedule.sigma_to_t(sigma, quantize));
  };
}

Denoiser v_denoiser(EpsModel v, DiscreteSchedule schedule, bool quantize) {
  return [v = std::move(v), schedule = std::move(schedule), quantize](const at::Tensor& x, const at::Tensor& sigma) {
    const at::Tensor s = append_dims(sigma, x.dim());
    const at::Tensor c_in = 1 / (s * s + 1).sqrt();
    return v(x * c_in, schedule.sigma_to_t(sigma, quantize)) * (-s * c_in) + x / (s * s + 1);
  };
}

Denoiser lcm_denoiser(EpsModel eps, DiscreteSchedule lcm_schedule) {
  constexpr double kSigmaDataSquared = 0.5 * 0.5;
  return [denoise = eps_denoiser(std::move(eps), lcm_schedule, true), lcm_schedule](const at::Tensor& x,
                                                                                    const at::Tensor& sigma) {
    const at::Tensor t = append_dims(lcm_schedule.sigma_to_t(sigma, true), x.dim()) * 10.0;
    const at::Tensor c_skip = kSigmaDataSquared / (t * t + kSigmaDataSquared);
    const at::Tensor c_out = t / (t * t + kSigmaDataSquared).sqrt();
    return c_out * denoise(x, sigma) + c_skip * x;
  };
}

}  // namespace atelier
