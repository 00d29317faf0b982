// UniPC (arXiv 2302.04867) as A1111's modules/models/diffusion/uni_pc runs it by default:
// multistep, data prediction (x0), B(h) = h ("bh1"), order 3, time-uniform steps, lower orders
// for the last steps.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include "core/error.h"
#include "core/sampling/timestep_samplers.h"

namespace atelier {
namespace {

constexpr int kOrder = 3;

// The discrete model's noise schedule in continuous time t in [1/N, 1] (UniPC's NoiseScheduleVP
// 'discrete'): log alpha_t, with alpha_t^2 = alphas_cumprod, interpolated linearly between
// t_n = (n + 1) / N and extended linearly beyond them.
class VpSchedule {
 public:
  explicit VpSchedule(const DiscreteSchedule& schedule) {
    const at::Tensor log_alphas = (0.5 * at::log(schedule.alphas_cumprod())).to(at::kDouble).contiguous();
    log_alphas_.assign(log_alphas.data_ptr<double>(), log_alphas.data_ptr<double>() + log_alphas.numel());
  }

  int levels() const { return static_cast<int>(log_alphas_.size()); }
  double log_alpha(double t) const {
    const int n = levels();
    const int start = std::clamp(static_cast<int>(std::floor(t * n)) - 1, 0, n - 2);
    const double t0 = static_cast<double>(start + 1) / n, t1 = static_cast<double>(start + 2) / n;
    return log_alphas_[start] + (t - t0) * (log_alphas_[start + 1] - log_alphas_[start]) / (t1 - t0);
  }
  double alpha(double t) const { return std::exp(log_alpha(t)); }
  double sigma(double t) const { return std::sqrt(1 - std::exp(2 * log_alpha(t))); }
  double lambda(double t) const { return log_alpha(t) - std::log(sigma(t)); }

 private:
  std::vector<double> log_alphas_;
};

// The solution of the small system `matrix` * rho = `rhs` (row-major, n x n).
std::vector<double> solve(const std::vector<double>& matrix, const std::vector<double>& rhs) {
  const auto n = static_cast<std::int64_t>(rhs.size());
  const at::Tensor a = at::tensor(matrix, at::kDouble).reshape({n, n});
  const at::Tensor solution = at::linalg_solve(a, at::tensor(rhs, at::kDouble)).contiguous();
  return {solution.data_ptr<double>(), solution.data_ptr<double>() + n};
}

class UniPc {
 public:
  UniPc(const TimestepModel& model, const DiscreteSchedule& schedule) : model_(model), vp_(schedule) {}

  // The model's x0 at continuous time t, called at model timestep (t - 1/N) * 1000.
  at::Tensor x0(const at::Tensor& x, double t) const {
    const double model_t = (t - 1.0 / vp_.levels()) * 1000;
    const at::Tensor eps = model_.eps(x, at::full({x.size(0)}, model_t, x.options().dtype(at::kFloat)));
    return (x - vp_.sigma(t) * eps) / vp_.alpha(t);
  }

  // One UniPC step of `order` from the latest of `earlier` (x0 estimates at `times`, newest
  // last) to t: the predictor UniP, then unless at the last step the corrector UniC with the
  // model's x0 at the predicted point, which the next step reuses (returned; undefined without
  // the corrector).
  std::pair<at::Tensor, at::Tensor> step(const at::Tensor& x, const std::deque<at::Tensor>& earlier,
                                         const std::deque<double>& times, double t, int order,
                                         bool use_corrector) const {
    const double lambda_prev = vp_.lambda(times.back()), h = vp_.lambda(t) - lambda_prev;
    const at::Tensor& model_prev = earlier.back();
    std::vector<double> rks;
    std::vector<at::Tensor> d1s;  // scaled differences to the earlier estimates
    for (int i = 1; i < order; ++i) {
      const auto k = earlier.size() - 1 - i;
      rks.push_back((vp_.lambda(times[k]) - lambda_prev) / h);
      d1s.push_back((earlier[k] - model_prev) / rks.back());
    }
    rks.push_back(1.0);

    // B(h) = hh (bh1); row i of R holds rks^i, b_i = h phi_(i+1)(hh) (i+1)! / B(h).
    const double hh = -h, h_phi_1 = std::expm1(hh), b_h = hh;
    std::vector<double> r, b;
    double h_phi_k = h_phi_1 / hh - 1, factorial = 1;
    for (int i = 1; i <= order; ++i) {
      for (double rk : rks) r.push_back(std::pow(rk, i - 1));
      b.push_back(h_phi_k * factorial / b_h);
      factorial *= i + 1;
      h_phi_k = h_phi_k / hh - 1 / factorial;
    }
    const auto residual = [&](const std::vector<double>& rhos) {
      at::Tensor sum = at::zeros_like(x);
      for (std::size_t k = 0; k < d1s.size(); ++k) sum = sum + rhos[k] * d1s[k];
      return sum;
    };

    const double sigma_t = vp_.sigma(t), alpha_t = vp_.alpha(t);
    const at::Tensor x_first_order = (sigma_t / vp_.sigma(times.back())) * x - (alpha_t * h_phi_1) * model_prev;
    at::Tensor x_t = x_first_order;
    if (!d1s.empty()) {
      std::vector<double> rhos_p{0.5};  // order 2: A1111's simplified predictor
      if (order > 2) {
        std::vector<double> leading;  // R without its last row and column
        for (int i = 0; i < order - 1; ++i)
          for (int j = 0; j < order - 1; ++j) leading.push_back(r[i * order + j]);
        rhos_p = solve(leading, {b.begin(), b.end() - 1});
      }
      x_t = x_first_order - (alpha_t * b_h) * residual(rhos_p);
    }
    if (!use_corrector) return {x_t, {}};
    const std::vector<double> rhos_c = order == 1 ? std::vector<double>{0.5} : solve(r, b);
    const at::Tensor model_t = x0(x_t, t);
    x_t = x_first_order - (alpha_t * b_h) * (residual(rhos_c) + rhos_c.back() * (model_t - model_prev));
    return {x_t, model_t};
  }

 private:
  const TimestepModel& model_;
  VpSchedule vp_;
};

}  // namespace

at::Tensor sample_unipc(const TimestepModel& model, at::Tensor x, const DiscreteSchedule& schedule,
                        const std::vector<std::int64_t>& timesteps, bool img2img, const StepCallback& callback) {
  const int steps = static_cast<int>(timesteps.size());
  if (steps < kOrder) {
    throw InvalidArgument("UniPC needs at least " + std::to_string(kOrder) + " steps (its order), got " +
                          std::to_string(steps));
  }
  const double levels = static_cast<double>(schedule.levels());
  const double t_start = img2img ? static_cast<double>(timesteps.back()) / 1000 + 1 / 1000.0 : 1.0;
  const double t_end = 1 / levels;
  const auto time = [&](int i) { return t_start + (t_end - t_start) * i / steps; };

  const UniPc solver(model, schedule);
  std::deque<at::Tensor> earlier{solver.x0(x, time(0))};
  std::deque<double> times{time(0)};
  for (int step = 1; step <= steps; ++step) {
    if (callback) callback(step - 1, steps, x, earlier.back());
    const int order = std::min({kOrder, step, steps + 1 - step});
    auto [x_next, model_next] = solver.step(x, earlier, times, time(step), order, step < steps);
    x = std::move(x_next);
    if (step == steps) break;
    earlier.push_back(std::move(model_next));
    times.push_back(time(step));
    if (static_cast<int>(earlier.size()) > kOrder) {
      earlier.pop_front();
      times.pop_front();
    }
  }
  return x;
}

}  // namespace atelier
