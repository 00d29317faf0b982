#pragma once
// The samplers by A1111's names, with what A1111 does around each: the schedule "Automatic"
// stands for, LCM's own schedule, DPM2's dropped sigma, CFG++'s guidance scale.
#include <ATen/ATen.h>

#include <span>
#include <string_view>

#include "core/sampling/samplers.h"
#include "core/sampling/schedule.h"
#include "core/sampling/sigma_schedules.h"
#include "core/sampling/timestep_samplers.h"

namespace atelier {

// How a sampler drives the model.
enum class SamplerKind {
  KDiffusion,  // `function` over sigmas, calling eps_denoiser over the model's schedule
  Lcm,         // `function` over sigmas of DiscreteSchedule::lcm(), calling lcm_denoiser
  Timesteps,   // `timestep_function` in eps-space over ddim_timesteps(); the schedule type does not apply
};

struct SamplerSpec {
  std::string_view name;   // A1111's label, e.g. "DPM++ 2M"
  std::string_view alias;  // A1111's API alias, e.g. "k_dpmpp_2m"
  SamplerKind kind;
  SamplerFunction function;         // null for the timestep samplers
  ScheduleType automatic_schedule;  // what "Automatic" means for it
  bool discard_penultimate_sigma;   // one step more, then the next-to-last sigma dropped
  bool second_order;                // A1111's "second_order": its step counter counts two calls a step
  TimestepSamplerFunction timestep_function = nullptr;  // the timestep samplers'
  // CFG++: guided at the CFG scale / 12.5, re-noising along the unconditional ε.
  bool cfg_plus_plus = false;
};

// Every sampler, in A1111's menu order.
std::span<const SamplerSpec> samplers();

// A sampler by A1111 name or alias, case-insensitive; throws InvalidArgument listing the names.
const SamplerSpec& find_sampler(std::string_view name);

struct SamplerChoice {
  const SamplerSpec* sampler;
  ScheduleType schedule;
};

// A sampler and schedule type by name. A legacy combined name ("DPM++ 2M Karras", as A1111
// wrote before schedule types were separate) brings its schedule, which overrides `schedule`.
SamplerChoice choose_sampler(std::string_view sampler, std::string_view schedule = "Automatic");

// The guidance scale `sampler` runs a CFG scale at: cfg_scale / 12.5 for CFG++ (A1111's
// cond_scale_miltiplier), which maps A1111's CFG range 0 to 12.5 onto CFG++'s 0 to 1.
double guidance_scale(const SamplerSpec& sampler, double cfg_scale);

// The steps A1111's prompt editing spans (SamplerData.total_steps): its denoiser counts every
// model call, so a second-order sampler's `steps` count twice and `[a:b:0.5]` switches halfway.
int prompt_editing_steps(const SamplerSpec& sampler, int steps);

// The schedule a k-diffusion or LCM choice runs over for `steps` steps of `model` (the model's
// full schedule, also for LCM), as A1111's get_sigmas builds it.
at::Tensor sampler_sigmas(const SamplerChoice& choice, int steps, const DiscreteSchedule& model);

}  // namespace atelier
