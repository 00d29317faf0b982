#include "core/sampling/samplers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

#include "core/error.h"
#include "core/sampling/sigma_schedules.h"

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

namespace {

// What a multistep DPM-Solver++ SDE step knows of an earlier step: its estimate and its length in
// lambda = -log sigma.
struct EarlierStep {
  at::Tensor denoised;
  double h;
};

// The higher-order term a multistep solver adds from the earlier steps (newest first, at most
// two) to a step of length h whose pull towards `denoised` is `pull`.
using MultistepCorrection = at::Tensor (*)(const std::vector<EarlierStep>& earlier, const at::Tensor& denoised,
                                           double h, double pull);

// k-diffusion's DPM-Solver++ multistep SDE samplers with eta 1: a step pulls x towards the
// estimate by 1 - (sigma'/sigma)^2, adds the solver's correction, and adds back as fresh noise
// the variance that pull removes.
at::Tensor dpmpp_multistep_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                               const StepCallback& callback, MultistepCorrection correction) {
  const Sigmas s(sigmas);
  std::vector<EarlierStep> earlier;
  for (int i = 0; i < s.steps(); ++i) {
    const at::Tensor denoised = denoise(model, x, s[i]);
    report(callback, i, s.steps(), x, denoised);
    if (s[i + 1] == 0) {
      x = denoised;
      continue;
    }
    const double h = std::log(s[i] / s[i + 1]);
    const double pull = -std::expm1(-2 * h);
    x = (1 - pull) * x + pull * denoised;
    if (!earlier.empty()) x = x + correction(earlier, denoised, h, pull);
    x = x + fresh_noise(noise, x) * (s[i + 1] * std::sqrt(pull));
    earlier.insert(earlier.begin(), {denoised, h});
    if (earlier.size() > 2) earlier.pop_back();
  }
  return x;
}

// DPM-Solver++(2M) SDE's second-order term, by k-diffusion's midpoint or heun solver.
at::Tensor midpoint_correction(const std::vector<EarlierStep>& earlier, const at::Tensor& denoised, double h,
                               double pull) {
  return (0.5 * pull * h / earlier[0].h) * (denoised - earlier[0].denoised);
}

at::Tensor heun_correction(const std::vector<EarlierStep>& earlier, const at::Tensor& denoised, double h,
                           double pull) {
  return ((pull / (-2 * h) + 1) * h / earlier[0].h) * (denoised - earlier[0].denoised);
}

// DPM-Solver++(3M) SDE's terms: second order after one step, third order after two.
at::Tensor third_order_correction(const std::vector<EarlierStep>& earlier, const at::Tensor& denoised, double h,
                                  double pull) {
  const double h_eta = 2 * h;  // eta 1
  const double phi_2 = 1 - pull / h_eta;
  const double r0 = earlier[0].h / h;
  const auto d1_0 = (denoised - earlier[0].denoised) / r0;
  if (earlier.size() < 2) return phi_2 * d1_0;
  const double r1 = earlier[1].h / h;
  const auto d1_1 = (earlier[0].denoised - earlier[1].denoised) / r1;
  const auto d1 = d1_0 + (d1_0 - d1_1) * (r0 / (r0 + r1));
  const auto d2 = (d1_0 - d1_1) / (r0 + r1);
  const double phi_3 = phi_2 / h_eta - 0.5;
  return phi_2 * d1 - phi_3 * d2;
}

}  // namespace

at::Tensor sample_dpmpp_2m_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                               NoiseSource& noise, const StepCallback& callback) {
  return dpmpp_multistep_sde(model, std::move(x), sigmas, noise, callback, midpoint_correction);
}

at::Tensor sample_dpmpp_2m_sde_heun(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                                    NoiseSource& noise, const StepCallback& callback) {
  return dpmpp_multistep_sde(model, std::move(x), sigmas, noise, callback, heun_correction);
}

at::Tensor sample_dpmpp_3m_sde(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas,
                               NoiseSource& noise, const StepCallback& callback) {
  return dpmpp_multistep_sde(model, std::move(x), sigmas, noise, callback, third_order_correction);
}

namespace {

// k-diffusion's DPMSolver (DPM-Solver, arXiv 2206.00927) in t = -log sigma, on the noise
// estimate eps = (x - D(x, sigma)) / sigma. Each step caches the evaluations it shares.
class DpmSolver {
 public:
  explicit DpmSolver(const Denoiser& model) : model_(model) {}

  static double sigma(double t) { return std::exp(-t); }
  static double t_of(double sigma) { return -std::log(sigma); }

  // The estimate at x, t: eps, and the clean latent it implies.
  at::Tensor eps(const at::Tensor& x, double t) {
    last_denoised_ = denoise(model_, x, sigma(t));
    return (x - last_denoised_) / sigma(t);
  }
  const at::Tensor& last_denoised() const { return last_denoised_; }

  at::Tensor step_1(const at::Tensor& x, double t, double t_next, const at::Tensor& e) {
    return x - sigma(t_next) * std::expm1(t_next - t) * e;
  }
  // Second order with the evaluation at t + r1 h; `e_r1` receives it for a third-order step.
  at::Tensor step_2(const at::Tensor& x, double t, double t_next, const at::Tensor& e, double r1, at::Tensor* e_r1) {
    const double h = t_next - t, s1 = t + r1 * h;
    const auto u1 = x - sigma(s1) * std::expm1(r1 * h) * e;
    *e_r1 = eps(u1, s1);
    return x - sigma(t_next) * std::expm1(h) * e - sigma(t_next) / (2 * r1) * std::expm1(h) * (*e_r1 - e);
  }
  // Third order (r1 = 1/3, r2 = 2/3); `e_r1` is reused when a step_2 with r1 = 1/3 computed it.
  at::Tensor step_3(const at::Tensor& x, double t, double t_next, const at::Tensor& e, at::Tensor e_r1) {
    constexpr double r1 = 1.0 / 3, r2 = 2.0 / 3;
    const double h = t_next - t, s1 = t + r1 * h, s2 = t + r2 * h;
    if (!e_r1.defined()) e_r1 = eps(x - sigma(s1) * std::expm1(r1 * h) * e, s1);
    const auto u2 = x - sigma(s2) * std::expm1(r2 * h) * e -
                    sigma(s2) * (r2 / r1) * (std::expm1(r2 * h) / (r2 * h) - 1) * (e_r1 - e);
    const auto e_r2 = eps(u2, s2);
    return x - sigma(t_next) * std::expm1(h) * e - sigma(t_next) / r2 * (std::expm1(h) / h - 1) * (e_r2 - e);
  }

  // The ancestral split of a step from t to t_next (eta 1): where the deterministic step ends
  // (never past `t_end`) and the standard deviation of the noise added after it.
  static std::pair<double, double> ancestral(double t, double t_next, double t_end) {
    const double down = std::min(t_end, t_of(ancestral_step(sigma(t), sigma(t_next)).down));
    return {down, std::sqrt(sigma(t_next) * sigma(t_next) - sigma(down) * sigma(down))};
  }

 private:
  const Denoiser& model_;
  at::Tensor last_denoised_;
};

// The range DPM fast and DPM adaptive integrate over, as A1111 passes it: from the first sigma to
// the last one above 0, over as many model evaluations as there are steps.
std::pair<double, double> sigma_range(const Sigmas& s) {
  int last = s.steps();
  while (last > 0 && s[last] == 0) --last;
  if (s[last] <= 0) throw InvalidArgument("DPM fast and DPM adaptive need a sigma above 0");
  return {s[0], s[last]};
}

}  // namespace

at::Tensor sample_dpm_fast(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                           const StepCallback& callback) {
  const Sigmas s(sigmas);
  const auto [sigma_max, sigma_min] = sigma_range(s);
  const int evaluations = s.steps();
  const double t_start = DpmSolver::t_of(sigma_max), t_end = DpmSolver::t_of(sigma_min);
  // m steps of order 3 spend the evaluations; the remainder makes the last steps' orders.
  const int m = evaluations / 3 + 1;
  std::vector<int> orders(evaluations % 3 == 0 ? m - 2 : m - 1, 3);
  if (evaluations % 3 == 0) orders.insert(orders.end(), {2, 1});
  else orders.push_back(evaluations % 3);
  DpmSolver solver(model);
  for (std::size_t i = 0; i < orders.size(); ++i) {
    // k-diffusion's torch.linspace(t_start, t_end, m + 1).
    const auto at = [&](std::size_t k) { return t_start + (t_end - t_start) * static_cast<double>(k) / m; };
    const double t = at(i), t_next = at(i + 1);
    const auto [t_down, up] = DpmSolver::ancestral(t, t_next, t_end);
    const auto e = solver.eps(x, t);
    report(callback, static_cast<int>(i), static_cast<int>(orders.size()), x, solver.last_denoised());
    at::Tensor e_r1;
    if (orders[i] == 1) x = solver.step_1(x, t, t_down, e);
    else if (orders[i] == 2) x = solver.step_2(x, t, t_down, e, 0.5, &e_r1);
    else x = solver.step_3(x, t, t_down, e, {});
    x = x + up * fresh_noise(noise, x);
  }
  return x;
}

at::Tensor sample_dpm_adaptive(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                               const StepCallback& callback) {
  const Sigmas s(sigmas);
  const auto [sigma_max, sigma_min] = sigma_range(s);
  // k-diffusion's defaults with A1111's eta 1: order 3, rtol 0.05, atol 0.0078, h_init 0.05, a
  // PID controller with only its integral term (order 1.5 when stochastic), accept_safety 0.81.
  // Times are float32 as k-diffusion keeps them, so the loop ends where it does there.
  constexpr double kRtol = 0.05, kAtol = 0.0078, kAcceptSafety = 0.81, kControllerOrder = 1.5;
  const float t_end = static_cast<float>(DpmSolver::t_of(sigma_min));
  float t_now = static_cast<float>(DpmSolver::t_of(sigma_max));
  double h = 0.05;
  at::Tensor x_prev = x;
  DpmSolver solver(model);
  for (int step = 0; t_now < t_end - 1e-5f; ++step) {
    const float t_next = std::min(t_end, t_now + static_cast<float>(h));
    const auto [t_down, up] = DpmSolver::ancestral(t_now, t_next, t_end);
    const auto e = solver.eps(x, t_now);
    report(callback, step, std::max(step + 1, s.steps()), x, solver.last_denoised());
    at::Tensor e_r1;
    const auto x_low = solver.step_2(x, t_now, t_down, e, 1.0 / 3, &e_r1);
    const auto x_high = solver.step_3(x, t_now, t_down, e, e_r1);
    const auto delta = at::clamp_min(kRtol * at::maximum(x_low.abs(), x_prev.abs()), kAtol);
    const double error = (at::linalg_vector_norm((x_low - x_high) / delta).item<double>()) /
                         std::sqrt(static_cast<double>(x.numel()));
    // PIDStepSizeController.propose_step: with only the integral term (b1 = 1 / order, b2 = b3 =
    // 0) the factor depends on this step's error alone.
    const double factor = 1 + std::atan(std::pow(1 / (error + 1e-8), 1 / kControllerOrder) - 1);
    h *= factor;
    if (factor < kAcceptSafety) continue;
    x_prev = x_low;
    x = x_high + up * fresh_noise(noise, x);
    t_now = t_next;
  }
  return x;
}

// A1111's Restart sampler (modules/sd_samplers_extra.py, Xu et al. 2023): Heun steps down a Karras
// schedule; with 20 steps or more it spends some of them going back up from sigma 0.1 to 2 with
// fresh noise and down again (9 steps once, or a quarter of the steps twice from 36).
at::Tensor sample_restart(const Denoiser& model, at::Tensor x, const at::Tensor& sigmas, NoiseSource& noise,
                          const StepCallback& callback) {
  at::Tensor levels = sigmas.to(at::kCPU, at::kFloat);
  const int steps = static_cast<int>(levels.numel()) - 1;
  int restart_steps = 0, restart_times = 0;
  if (steps >= 20) {
    restart_steps = steps >= 36 ? steps / 4 : 9;
    restart_times = steps >= 36 ? 2 : 1;
    levels = karras_sigmas(steps - restart_steps * restart_times, levels[-2].item<double>(), levels[0].item<double>());
  }
  const Sigmas s(levels);
  const auto nearest = [&](double sigma) { return at::argmin((levels - sigma).abs()).item<int64_t>(); };
  std::vector<std::pair<double, double>> step_list;
  const int64_t restart_at = restart_times > 0 ? nearest(0.1) : -1;
  for (int i = 0; i < s.steps(); ++i) {
    step_list.emplace_back(s[i], s[i + 1]);
    if (i + 1 != restart_at) continue;
    const int64_t max_index = nearest(2.0);
    if (max_index >= restart_at) continue;
    const Sigmas restart(karras_sigmas(restart_steps + 1, s[static_cast<int>(restart_at)], s[static_cast<int>(max_index)]));
    for (int time = 0; time < restart_times; ++time)
      for (int k = 0; k + 1 < restart.steps(); ++k) step_list.emplace_back(restart[k], restart[k + 1]);
  }

  const int total = static_cast<int>(step_list.size());
  double last_sigma = step_list.front().first;
  for (int i = 0; i < total; ++i) {
    const auto [from, to] = step_list[i];
    if (last_sigma < from) x = x + fresh_noise(noise, x) * std::sqrt(from * from - last_sigma * last_sigma);
    const at::Tensor denoised = denoise(model, x, from);
    report(callback, i, total, x, denoised);
    const at::Tensor d = to_d(x, from, denoised);
    const at::Tensor x_euler = x + d * (to - from);
    x = to == 0 ? x_euler : x + (d + to_d(x_euler, to, denoise(model, x_euler, to))) / 2 * (to - from);
    last_sigma = to;
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

}  // namespace atelier
