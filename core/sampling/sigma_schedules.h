#pragma once
// Sigma schedules: the descending noise levels a sampler steps through, each ending at 0
// (k_diffusion/sampling.py get_sigmas_*, A1111 modules/sd_schedulers.py). All F32 on the CPU.
#include <ATen/ATen.h>

#include <optional>
#include <span>
#include <string_view>

#include "core/sampling/schedule.h"

namespace atelier {

// A1111's "Schedule type" choices. Automatic means the sampler's own default (see
// SamplerSpec::automatic_schedule); on its own it is the model's Uniform schedule.
enum class ScheduleType {
  Automatic,
  Uniform,
  Karras,
  Exponential,
  Polyexponential,
  SgmUniform,
  KlOptimal,
  Simple,
  Normal,
  Ddim,
};

std::span<const ScheduleType> schedule_types();  // in A1111's menu order
std::string_view to_string(ScheduleType type);   // A1111's label: "Karras", "SGM Uniform"
// A1111's label or internal name ("sgm_uniform"), case-insensitive; nullopt when unknown.
std::optional<ScheduleType> find_schedule_type(std::string_view name);
// As find_schedule_type, but throws InvalidArgument listing the labels.
ScheduleType parse_schedule_type(std::string_view name);

// Karras et al. (2022): sigma^(1/rho) evenly spaced from sigma_max to sigma_min, then 0.
at::Tensor karras_sigmas(int steps, double sigma_min, double sigma_max, double rho = 7.0);
// log sigma evenly spaced from sigma_max to sigma_min, then 0.
at::Tensor exponential_sigmas(int steps, double sigma_min, double sigma_max);
// log sigma following a ramp^rho from sigma_max to sigma_min, then 0 (rho 1: exponential).
at::Tensor polyexponential_sigmas(int steps, double sigma_min, double sigma_max, double rho = 1.0);

// `steps` steps of schedule `type` for `model` (steps + 1 sigmas; KL Optimal ends at sigma_min
// rather than 0 and DDIM may give a few more, as in A1111). Karras, Exponential and the rest
// span the model's own sigma_min..sigma_max.
at::Tensor make_sigmas(ScheduleType type, int steps, const DiscreteSchedule& model);

}  // namespace atelier
