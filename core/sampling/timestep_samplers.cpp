#include "core/sampling/timestep_samplers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include "core/error.h"

namespace atelier {
namespace {

// alphas_cumprod at a timestep, as A1111 reads them from the F32 table.
double alpha_at(const DiscreteSchedule& schedule, std::int64_t t) {
  return schedule.alphas_cumprod()[t].item<double>();
}

at::Tensor call_at(const TimestepModel& model, const at::Tensor& x, std::int64_t t) {
  return model.eps(x, at::full({x.size(0)}, t, x.options().dtype(at::kLong)));
}

// One DDIM step of eta 0 from alpha a_t to a_prev: the clean estimate from `eps`, re-noised along
// `direction` (eps itself, or CFG++'s unconditional eps).
struct DdimStep {
  at::Tensor x_prev, x0;
};

DdimStep ddim_step(const at::Tensor& x, double a_t, double a_prev, const at::Tensor& eps, const at::Tensor& direction) {
  const at::Tensor x0 = (x - std::sqrt(1 - a_t) * eps) / std::sqrt(a_t);
  return {std::sqrt(a_prev) * x0 + std::sqrt(1 - a_prev) * direction, x0};
}

at::Tensor ddim_loop(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                     const std::vector<std::int64_t>& timesteps, const StepCallback& callback, bool along_uncond) {
  if (along_uncond && !model.last_uncond_eps) throw InvalidArgument("DDIM CFG++ needs the unconditional prediction");
  const int total = static_cast<int>(timesteps.size()) - 1;
  for (int step = 0; step < total; ++step) {
    const int index = total - step;
    const at::Tensor eps = call_at(model, x, timesteps[index]);
    const at::Tensor direction = along_uncond ? model.last_uncond_eps() : eps;
    const auto [x_prev, x0] = ddim_step(x, alpha_at(schedule, timesteps[index]),
                                        alpha_at(schedule, timesteps[index - 1]), eps, direction);
    report(callback, step, total, x, x0);
    x = x_prev;
  }
  return x;
}

}  // namespace

std::vector<std::int64_t> ddim_timesteps(int steps, std::int64_t levels) {
  if (steps < 1 || steps > levels) {
    throw InvalidArgument("timestep samplers need 1 to " + std::to_string(levels) + " steps, got " +
                          std::to_string(steps));
  }
  std::vector<std::int64_t> timesteps;
  for (std::int64_t t = 0; t < levels; t += levels / steps) timesteps.push_back(std::min(t + 1, levels - 1));
  return timesteps;
}

at::Tensor sample_ddim(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                       const std::vector<std::int64_t>& timesteps, bool /*img2img*/, const StepCallback& callback) {
  return ddim_loop(model, std::move(x), schedule, timesteps, callback, false);
}

at::Tensor sample_ddim_cfgpp(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                             const std::vector<std::int64_t>& timesteps, bool /*img2img*/,
                             const StepCallback& callback) {
  return ddim_loop(model, std::move(x), schedule, timesteps, callback, true);
}

at::Tensor sample_plms(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                       const std::vector<std::int64_t>& timesteps, bool /*img2img*/, const StepCallback& callback) {
  const int total = static_cast<int>(timesteps.size()) - 1;
  std::deque<at::Tensor> earlier;  // the latest steps' eps, newest first, at most 3
  for (int step = 0; step < total; ++step) {
    const int index = total - step;
    const double a_t = alpha_at(schedule, timesteps[index]), a_prev = alpha_at(schedule, timesteps[index - 1]);
    const at::Tensor eps = call_at(model, x, timesteps[index]);
    at::Tensor combined;
    switch (earlier.size()) {
      case 0: {  // pseudo improved Euler: the mean of eps here and at the DDIM step's end
        const at::Tensor x_next = ddim_step(x, a_t, a_prev, eps, eps).x_prev;
        combined = (eps + call_at(model, x_next, timesteps[index - 1])) / 2;
        break;
      }
      case 1:
        combined = (3 * eps - earlier[0]) / 2;
        break;
      case 2:
        combined = (23 * eps - 16 * earlier[0] + 5 * earlier[1]) / 12;
        break;
      default:
        combined = (55 * eps - 59 * earlier[0] + 37 * earlier[1] - 9 * earlier[2]) / 24;
    }
    const auto [x_prev, x0] = ddim_step(x, a_t, a_prev, combined, combined);
    report(callback, step, total, x, x0);
    earlier.push_front(eps);
    if (earlier.size() > 3) earlier.pop_back();
    x = x_prev;
  }
  return x;
}

}  // namespace atelier
