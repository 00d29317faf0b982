#include "core/sampling/samplers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include "core/error.h"

namespace atelier {
namespace {

// The sigmas as plain numbers, from which each step's scalars are computed.
class Sigmas {
 public:
  explicit Sigmas(const at::Tensor& sigmas) {
    const at::Tensor s = sigmas.to(at::kCPU, at::kDouble).contiguous();
    values_.assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  }
  int steps() const { return static_cast<int>(values_.size()) - 1; }
  double operator[](int i) const { return values_[i]; }

 private:
  std::vector<double> values_;
};

// k-diffusion calls the model with sigma repeated for each image of the batch.
at::Tensor denoise(const Denoiser& model, const at::Tensor& x, double sigma) {
  return model(x, at::full({x.size(0)}, sigma, x.options().dtype(at::kFloat)));
}

// The probability-flow ODE's derivative dx/dsigma.
at::Tensor to_d(const at::Tensor& x, double sigma, const at::Tensor& denoised) {
  return (x - denoised) / sigma;
}

// An ancestral step from `from` to `to` (eta 1): a deterministic step down to `down`, then
// fresh noise of standard deviation `up`, with down^2 + up^2 = to^2.
struct AncestralStep {
  double down;
  double up;
};

AncestralStep ancestral_step(double from, double to) {
  const double up = std::min(to, std::sqrt(to * to * (from * from - to * to) / (from * from)));
  return {std::sqrt(to * to - up * up), up};
}

// DPM-Solver++'s first-order step in lambda = -log sigma, exact were `estimate` the clean image:
// x' = (sigma'/sigma) x - expm1(-h) estimate, h = log(sigma / sigma').
at::Tensor dpmpp_step(const at::Tensor& x, double sigma, double sigma_next, const at::Tensor& estimate) {
  const double ratio = sigma_next / sigma;
  return ratio * x + (1 - ratio) * estimate;
}

at::Tensor fresh_noise(NoiseSource& noise, const at::Tensor& like) {
  return noise.randn(like.sizes()).to(like.options());
}

void report(const StepCallback& callback, int step, int total, const at::Tensor& x,
            const at::Tensor& denoised) {
  if (callback) callback(step, total, x, denoised);
}

// The integral over [t[i], t[i+1]] of the Lagrange basis polynomial that is 1 at t[i-j] and 0 at
// the other t[i-k], k < order. The basis is at most cubic (order <= 4), which Simpson's rule
// integrates exactly: the value scipy's quad gives k-diffusion, without its adaptivity.
double lms_coefficient(const Sigmas& t, int order, int i, int j) {
  const auto basis = [&](double tau) {
    double product = 1;
    for (int k = 0; k < order; ++k) {
      if (k != j) product *= (tau - t[i - k]) / (t[i - j] - t[i - k]);
    }
    return product;
  };
  const double a = t[i], b = t[i + 1];
  return (b - a) / 6 * (basis(a) + 4 * basis((a + b) / 2) + basis(b));
}

}  // namespace

at::Tensor sample_euler(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                        NoiseSource& /*deterministic*/, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    x = x + to_d(x, s[i], denoised) * (s[i + 1] - s[i]);
  }
  return x;
}

at::Tensor sample_euler_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                  NoiseSource& noise, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    const auto [down, up] = ancestral_step(s[i], s[i + 1]);
    x = x + to_d(x, s[i], denoised) * (down - s[i]);
    if (s[i + 1] > 0) x = x + fresh_noise(noise, x) * up;
  }
  return x;
}

at::Tensor sample_heun(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                       NoiseSource& /*deterministic*/, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    const at::Tensor d = to_d(x, s[i], denoised);
    const double dt = s[i + 1] - s[i];
    if (s[i + 1] == 0) {
      x = x + d * dt;  // Euler: the derivative is undefined at sigma 0
    } else {
      const at::Tensor x_2 = x + d * dt;
      const at::Tensor d_2 = to_d(x_2, s[i + 1], denoise(model, x_2, s[i + 1]));
      x = x + (d + d_2) / 2 * dt;
    }
  }
  return x;
}

at::Tensor sample_lms(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                      NoiseSource& /*deterministic*/, const StepCallback& callback) {
  constexpr int kOrder = 4;
  const Sigmas s(sigmas);
  std::deque<at::Tensor> ds;  // the derivatives of the latest steps, newest first
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    ds.push_front(to_d(x, s[i], denoised));
    if (ds.size() > kOrder) ds.pop_back();
    report(callback, i, s.steps(), x, denoised);
    const int order = static_cast<int>(ds.size());
    at::Tensor step = lms_coefficient(s, order, i, 0) * ds[0];
    for (int j = 1; j < order; ++j) step = step + lms_coefficient(s, order, i, j) * ds[j];
    x = x + step;
  }
  return x;
}

at::Tensor sample_dpm_2(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                        NoiseSource& /*deterministic*/, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    const at::Tensor d = to_d(x, s[i], denoised);
    if (s[i + 1] == 0) {
      x = x + d * (s[i + 1] - s[i]);
    } else {
      // DPM-Solver-2: the derivative at the midpoint in log sigma carries the whole step.
      const double sigma_mid = std::sqrt(s[i] * s[i + 1]);
      const at::Tensor x_2 = x + d * (sigma_mid - s[i]);
      const at::Tensor d_2 = to_d(x_2, sigma_mid, denoise(model, x_2, sigma_mid));
      x = x + d_2 * (s[i + 1] - s[i]);
    }
  }
  return x;
}

at::Tensor sample_dpm_2_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                  NoiseSource& noise, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    const auto [down, up] = ancestral_step(s[i], s[i + 1]);
    const at::Tensor d = to_d(x, s[i], denoised);
    if (down == 0) {
      x = x + d * (down - s[i]);
    } else {
      const double sigma_mid = std::sqrt(s[i] * down);
      const at::Tensor x_2 = x + d * (sigma_mid - s[i]);
      const at::Tensor d_2 = to_d(x_2, sigma_mid, denoise(model, x_2, sigma_mid));
      x = x + d_2 * (down - s[i]) + fresh_noise(noise, x) * up;
    }
  }
  return x;
}

at::Tensor sample_dpmpp_2s_ancestral(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                     NoiseSource& noise, const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    const auto [down, up] = ancestral_step(s[i], s[i + 1]);
    if (down == 0) {
      x = x + to_d(x, s[i], denoised) * (down - s[i]);
    } else {
      // DPM-Solver++(2S): half a step (in lambda) to the midpoint, then the whole step with its estimate.
      const double sigma_mid = std::sqrt(s[i] * down);
      const at::Tensor x_2 = dpmpp_step(x, s[i], sigma_mid, denoised);
      x = dpmpp_step(x, s[i], down, denoise(model, x_2, sigma_mid));
    }
    if (s[i + 1] > 0) x = x + fresh_noise(noise, x) * up;
  }
  return x;
}

at::Tensor sample_dpmpp_2m(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                           NoiseSource& /*deterministic*/, const StepCallback& callback) {
  const Sigmas s(sigmas);
  at::Tensor old_denoised;
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    // Second order: the estimate extrapolated along lambda from the previous step's (not for the
    // first step, nor the last, which lands on the estimate).
    at::Tensor estimate = denoised;
    if (old_denoised.defined() && s[i + 1] > 0) {
      const double r = std::log(s[i - 1] / s[i]) / std::log(s[i] / s[i + 1]);
      estimate = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised;
    }
    x = dpmpp_step(x, s[i], s[i + 1], estimate);
    old_denoised = denoised;
  }
  return x;
}

at::Tensor sample_dpmpp_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                            const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    if (s[i + 1] == 0) {
      x = x + to_d(x, s[i], denoised) * (s[i + 1] - s[i]);
      continue;
    }
    // The whole step's noise must contain the half step's, as increments of one Brownian path
    // over sigma do; independent draws would leave the samples short of variance.
    const double sigma_mid = std::sqrt(s[i] * s[i + 1]);
    const at::Tensor first_half = fresh_noise(noise, x);
    const at::Tensor second_half = fresh_noise(noise, x);
    const at::Tensor whole =
        (std::sqrt(s[i] - sigma_mid) * first_half + std::sqrt(sigma_mid - s[i + 1]) * second_half) /
        std::sqrt(s[i] - s[i + 1]);
    // An ancestral half step (in lambda) to the midpoint, then the whole ancestral step with the
    // midpoint's estimate (r = 1/2 weighs it fully).
    const auto [down_1, up_1] = ancestral_step(s[i], sigma_mid);
    const at::Tensor x_2 = dpmpp_step(x, s[i], down_1, denoised) + first_half * up_1;
    const auto [down, up] = ancestral_step(s[i], s[i + 1]);
    x = dpmpp_step(x, s[i], down, denoise(model, x_2, sigma_mid)) + whole * up;
  }
  return x;
}

at::Tensor sample_dpmpp_2m_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                               NoiseSource& noise, const StepCallback& callback) {
  const Sigmas s(sigmas);
  at::Tensor old_denoised;
  double h_last = 0;
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    if (s[i + 1] == 0) {
      x = denoised;
      continue;
    }
    // With eta 1 a step pulls x towards the estimate by 1 - (sigma'/sigma)^2 and adds back as
    // fresh noise the variance that pull removes.
    const double h = std::log(s[i] / s[i + 1]);
    const double pull = -std::expm1(-2 * h);
    x = (1 - pull) * x + pull * denoised;
    if (old_denoised.defined()) {
      x = x + (0.5 * pull * h / h_last) * (denoised - old_denoised);  // midpoint correction
    }
    x = x + fresh_noise(noise, x) * (s[i + 1] * std::sqrt(pull));
    old_denoised = denoised;
    h_last = h;
  }
  return x;
}

at::Tensor sample_lcm(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                      const StepCallback& callback) {
  const Sigmas s(sigmas);
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    x = denoised;
    if (s[i + 1] > 0) x = x + s[i + 1] * fresh_noise(noise, x);
  }
  return x;
}

std::vector<std::int64_t> ddim_timesteps(int steps, std::int64_t levels) {
  if (steps < 1 || steps > levels) {
    throw InvalidArgument("DDIM needs 1 to " + std::to_string(levels) + " steps, got " +
                          std::to_string(steps));
  }
  std::vector<std::int64_t> timesteps;
  for (std::int64_t t = 0; t < levels; t += levels / steps) timesteps.push_back(std::min(t + 1, levels - 1));
  return timesteps;
}

at::Tensor sample_ddim(const EpsModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                       const std::vector<std::int64_t>& timesteps, const StepCallback& callback,
                       bool v_prediction) {
  const auto alpha = [&](std::int64_t t) { return schedule.alphas_cumprod()[t].item<double>(); };
  const int total = static_cast<int>(timesteps.size());
  for (int step = 0; step < total; ++step) {
    const int index = total - 1 - step;
    const double a_t = alpha(timesteps[index]);
    const double a_prev = alpha(index > 0 ? timesteps[index - 1] : 0);
    const at::Tensor output = model(x, at::full({x.size(0)}, timesteps[index], x.options().dtype(at::kLong)));
    at::Tensor eps, x0;
    if (v_prediction) {
      eps = std::sqrt(a_t) * output + std::sqrt(1 - a_t) * x;
      x0 = std::sqrt(a_t) * x - std::sqrt(1 - a_t) * output;
    } else {
      eps = output;
      x0 = (x - std::sqrt(1 - a_t) * eps) / std::sqrt(a_t);
    }
    report(callback, step, total, x, x0);
    x = std::sqrt(a_prev) * x0 + std::sqrt(1 - a_prev) * eps;
  }
  return x;
}

}  // namespace atelier
