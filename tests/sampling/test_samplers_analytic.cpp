#include <catch2/catch.hpp>
#include <cmath>

#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
#include "core/sampling/timestep_samplers.h"
#include "core/sampling/sigma_schedules.h"

using namespace atelier;

// Data distributed N(mu, s^2) per element has an exact denoiser, the posterior mean
// D(x, sigma) = mu + s^2 / (s^2 + sigma^2) (x - mu), and an exact probability-flow ODE solution
// x(sigma) = mu + sqrt(s^2 + sigma^2) / sqrt(s^2 + sigma_T^2) (x_T - mu). Samplers driven by D
// must land near that solution (deterministic ones) or near the data's mean and spread (stochastic
// ones). Runs are in double so that only the samplers' own error shows.

namespace {

constexpr double kMu = 0.3, kS = 0.7;
constexpr double kSigmaMin = 0.002;  // small, so the first-order last step to 0 costs little
constexpr double kSigmaMax = 14.6146421;

at::Tensor gaussian_denoiser(const at::Tensor& x, const at::Tensor& sigma) {
  const at::Tensor variance = append_dims(sigma, x.dim()).to(at::kDouble).pow(2);
  return kMu + kS * kS / (kS * kS + variance) * (x - kMu);
}

// The consistency function an ideal LCM learns: straight to the ODE solution at sigma 0.
at::Tensor gaussian_consistency(const at::Tensor& x, const at::Tensor& sigma) {
  const at::Tensor variance = append_dims(sigma, x.dim()).to(at::kDouble).pow(2);
  return kMu + kS / (kS * kS + variance).sqrt() * (x - kMu);
}

at::Tensor ode_solution(const at::Tensor& x_T, double sigma_T, double sigma = 0) {
  return kMu + std::sqrt(kS * kS + sigma * sigma) / std::sqrt(kS * kS + sigma_T * sigma_T) * (x_T - kMu);
}

double relative_error(const at::Tensor& actual, const at::Tensor& expected) {
  return ((actual - expected).abs().max() / (expected - kMu).abs().max()).item<double>();
}

at::Tensor unit_noise(at::IntArrayRef shape) { return CpuNoise(1234).randn(shape).to(at::kDouble); }

}  // namespace

TEST_CASE("Deterministic samplers follow the ODE of Gaussian data at their order", "[samplers][analytic]") {
  // The error against the exact solution after `steps` Karras steps.
  const auto ode_error = [](const SamplerSpec& spec, int steps) {
    const at::Tensor sigmas = karras_sigmas(steps, kSigmaMin, kSigmaMax);
    const at::Tensor x_T = unit_noise({1, 4, 8, 8}) * kSigmaMax;
    CpuNoise unused(0);
    const at::Tensor x_0 = spec.function(gaussian_denoiser, x_T, sigmas, unused, {});
    return relative_error(x_0, ode_solution(x_T, sigmas[0].item<double>()));
  };
  struct Case {
    const char* sampler;
    int steps;
    int order;
    double tolerance;
  };
  for (const auto& [name, steps, order, tolerance] :
       {Case{"Euler", 100, 1, 3e-2}, Case{"Heun", 50, 2, 5e-3}, Case{"LMS", 50, 3, 1e-3},
        Case{"DPM2", 50, 2, 3e-3}, Case{"DPM++ 2M", 50, 2, 5e-3}}) {
    INFO(name);
    const double error = ode_error(find_sampler(name), steps);
    CHECK(error <= tolerance);
    // Twice the steps divide the error by about 2^order.
    CHECK(error / ode_error(find_sampler(name), 2 * steps) >= 0.85 * std::pow(2, order));
  }
}

TEST_CASE("Stochastic samplers draw from the Gaussian data", "[samplers][analytic]") {
  struct Case {
    const char* sampler;
    int steps;
  };
  for (const auto& [name, steps] : {Case{"Euler a", 400}, Case{"DPM2 a", 50}, Case{"DPM++ 2S a", 50},
                                    Case{"DPM++ SDE", 50}, Case{"DPM++ 2M SDE", 50}}) {
    INFO(name);
    const at::Tensor sigmas = karras_sigmas(steps, kSigmaMin, kSigmaMax);
    // x_T drawn from the noised data, N(mu, s^2 + sigma_max^2).
    const at::Tensor x_T = kMu + unit_noise({4, 128, 128}) * std::sqrt(kS * kS + kSigmaMax * kSigmaMax);
    CpuNoise noise(99);
    const at::Tensor x_0 =
        find_sampler(name).function(gaussian_denoiser, x_T.unsqueeze(0), sigmas, noise, {});
    CHECK(x_0.mean().item<double>() == Approx(kMu).margin(0.015));
    CHECK(x_0.std().item<double>() == Approx(kS).margin(0.015));
  }
}

TEST_CASE("LCM with an exact consistency function draws from the data at any step count",
          "[samplers][analytic]") {
  const DiscreteSchedule model = DiscreteSchedule::scaled_linear();
  for (int steps : {1, 4}) {
    INFO(steps << " steps");
    const at::Tensor sigmas = sampler_sigmas(choose_sampler("LCM"), steps, model);
    const double sigma_T = sigmas[0].item<double>();
    const at::Tensor x_T = kMu + unit_noise({1, 4, 128, 128}) * std::sqrt(kS * kS + sigma_T * sigma_T);
    CpuNoise noise(99);
    int calls = 0;
    const at::Tensor x_0 = sample_lcm(gaussian_consistency, x_T, sigmas, noise,
                                      [&](int, int, const at::Tensor&, const at::Tensor&) { ++calls; });
    CHECK(calls == steps);
    CHECK(x_0.mean().item<double>() == Approx(kMu).margin(0.015));
    CHECK(x_0.std().item<double>() == Approx(kS).margin(0.015));
  }
}

TEST_CASE("DDIM follows the ODE of Gaussian data in eps-space", "[samplers][analytic]") {
  const DiscreteSchedule model = DiscreteSchedule::scaled_linear();
  const auto alpha = [&](std::int64_t t) { return model.alphas_cumprod()[t].item<double>(); };
  // The exact noise prediction for x = sqrt(a) x0 + sqrt(1 - a) eps with x0 ~ N(mu, s^2).
  const EpsModel eps = [&](const at::Tensor& x, const at::Tensor& t) {
    const double a = alpha(t[0].item<std::int64_t>());
    return std::sqrt(1 - a) * (x - std::sqrt(a) * kMu) / (a * kS * kS + 1 - a);
  };
  // DDIM is Euler on x / sqrt(a) against sigma = sqrt((1 - a) / a), from the last timestep to a_0.
  const auto ode_error = [&](int steps) {
    std::vector<std::int64_t> timesteps = ddim_timesteps(steps);
    timesteps.insert(timesteps.begin(), 0);
    const at::Tensor x_T = unit_noise({1, 4, 8, 8});
    const at::Tensor x_0 = sample_ddim({eps, {}}, x_T, model, timesteps, false, {});
    const auto sigma_of = [](double a) { return std::sqrt((1 - a) / a); };
    const double a_T = alpha(timesteps.back()), a_0 = alpha(0);
    return relative_error(x_0,
                          std::sqrt(a_0) * ode_solution(x_T / std::sqrt(a_T), sigma_of(a_T), sigma_of(a_0)));
  };
  const double error = ode_error(100);
  CHECK(error <= 3e-2);
  CHECK(error / ode_error(200) >= 0.85 * 2);  // first order
}
