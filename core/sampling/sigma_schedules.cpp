#include "core/sampling/sigma_schedules.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/sampling/names.h"

namespace atelier {
namespace {

struct ScheduleName {
  ScheduleType type;
  std::string_view label;  // what A1111 shows and writes into infotext
  std::string_view name;   // A1111's internal name
};

constexpr std::array kScheduleNames = {
    ScheduleName{ScheduleType::Automatic, "Automatic", "automatic"},
    ScheduleName{ScheduleType::Uniform, "Uniform", "uniform"},
    ScheduleName{ScheduleType::Karras, "Karras", "karras"},
    ScheduleName{ScheduleType::Exponential, "Exponential", "exponential"},
    ScheduleName{ScheduleType::Polyexponential, "Polyexponential", "polyexponential"},
    ScheduleName{ScheduleType::SgmUniform, "SGM Uniform", "sgm_uniform"},
    ScheduleName{ScheduleType::KlOptimal, "KL Optimal", "kl_optimal"},
    ScheduleName{ScheduleType::Simple, "Simple", "simple"},
    ScheduleName{ScheduleType::Normal, "Normal", "normal"},
    ScheduleName{ScheduleType::Ddim, "DDIM", "ddim"},
};

constexpr std::array kScheduleTypes = [] {
  std::array<ScheduleType, kScheduleNames.size()> types{};
  for (std::size_t i = 0; i < types.size(); ++i) types[i] = kScheduleNames[i].type;
  return types;
}();

// The sigmas of the given levels, then 0.
at::Tensor level_sigmas(const DiscreteSchedule& model, const std::vector<std::int64_t>& levels) {
  return append_zero(model.sigmas().index_select(0, at::tensor(levels)));
}

// SGM's "trailing" spacing: steps + 1 timesteps evenly from the noisiest level, the last dropped.
at::Tensor sgm_uniform_sigmas(int steps, const DiscreteSchedule& model) {
  const at::Tensor t =
      at::linspace(model.timestep(model.levels() - 1), model.timestep(0), steps + 1, at::kFloat);
  return append_zero(model.t_to_sigma(t.slice(0, 0, steps)));
}

// Sigmas evenly spaced in arctan(sigma) from sigma_max down to sigma_min (no final 0, as A1111).
at::Tensor kl_optimal_sigmas(int steps, double sigma_min, double sigma_max) {
  const at::Tensor alpha_min = at::scalar_tensor(sigma_min, at::kFloat).arctan();
  const at::Tensor alpha_max = at::scalar_tensor(sigma_max, at::kFloat).arctan();
  const at::Tensor ramp = at::arange(steps + 1, at::kFloat) / steps;
  return (ramp * alpha_min + (1.0 - ramp) * alpha_max).tan();
}

// Every (levels / steps)-th level, counted down from the noisiest.
at::Tensor simple_sigmas(int steps, const DiscreteSchedule& model) {
  const double stride = static_cast<double>(model.levels()) / steps;
  std::vector<std::int64_t> levels;
  for (int i = 0; i < steps; ++i)
    levels.push_back(model.levels() - 1 - static_cast<std::int64_t>(i * stride));
  return level_sigmas(model, levels);
}

// The levels at LDM's DDIM timesteps 1, 1 + c, 1 + 2c, ... (c = levels / steps), noisiest first.
at::Tensor ddim_sigmas(int steps, const DiscreteSchedule& model) {
  const std::int64_t stride = std::max<std::int64_t>(model.levels() / steps, 1);
  std::vector<std::int64_t> levels;
  for (std::int64_t level = 1; level < model.levels(); level += stride) levels.insert(levels.begin(), level);
  return level_sigmas(model, levels);
}

}  // namespace

std::span<const ScheduleType> schedule_types() { return kScheduleTypes; }

std::string_view to_string(ScheduleType type) {
  for (const auto& entry : kScheduleNames) {
    if (entry.type == type) return entry.label;
  }
  return "?";
}

std::optional<ScheduleType> find_schedule_type(std::string_view name) {
  for (const auto& entry : kScheduleNames) {
    if (same_name(name, entry.label) || same_name(name, entry.name)) return entry.type;
  }
  if (same_name(name, "SGMUniform")) return ScheduleType::SgmUniform;  // A1111's alias
  return std::nullopt;
}

ScheduleType parse_schedule_type(std::string_view name) {
  if (const auto type = find_schedule_type(name)) return *type;
  throw InvalidArgument("unknown schedule type \"" + std::string(name) + "\"; valid: " +
                        join_names(kScheduleNames, [](const auto& e) { return std::string(e.label); }));
}

at::Tensor karras_sigmas(int steps, double sigma_min, double sigma_max, double rho) {
  const at::Tensor ramp = at::linspace(0, 1, steps, at::kFloat);
  const double min_inv_rho = std::pow(sigma_min, 1 / rho);
  const double max_inv_rho = std::pow(sigma_max, 1 / rho);
  return append_zero((max_inv_rho + ramp * (min_inv_rho - max_inv_rho)).pow(rho));
}

at::Tensor exponential_sigmas(int steps, double sigma_min, double sigma_max) {
  return append_zero(at::linspace(std::log(sigma_max), std::log(sigma_min), steps, at::kFloat).exp());
}

at::Tensor polyexponential_sigmas(int steps, double sigma_min, double sigma_max, double rho) {
  const at::Tensor ramp = at::linspace(1, 0, steps, at::kFloat).pow(rho);
  const double log_min = std::log(sigma_min);
  return append_zero((ramp * (std::log(sigma_max) - log_min) + log_min).exp());
}

at::Tensor make_sigmas(ScheduleType type, int steps, const DiscreteSchedule& model) {
  if (steps < 1) throw InvalidArgument("a schedule needs at least 1 step, got " + std::to_string(steps));
  const double sigma_min = model.sigma_min();
  const double sigma_max = model.sigma_max();
  switch (type) {
    case ScheduleType::Karras:
      return karras_sigmas(steps, sigma_min, sigma_max);
    case ScheduleType::Exponential:
      return exponential_sigmas(steps, sigma_min, sigma_max);
    case ScheduleType::Polyexponential:
      return polyexponential_sigmas(steps, sigma_min, sigma_max);
    case ScheduleType::SgmUniform:
      return sgm_uniform_sigmas(steps, model);
    case ScheduleType::KlOptimal:
      return kl_optimal_sigmas(steps, sigma_min, sigma_max);
    case ScheduleType::Simple:
      return simple_sigmas(steps, model);
    case ScheduleType::Ddim:
      return ddim_sigmas(steps, model);
    default:
      return model.uniform_sigmas(steps);  // Automatic, Uniform, Normal: the same linspace in t
  }
}

}  // namespace atelier
