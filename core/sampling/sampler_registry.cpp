#include "core/sampling/sampler_registry.h"

#include <string>

#include "core/error.h"
#include "core/sampling/names.h"

namespace atelier {
namespace {

using enum ScheduleType;

constexpr SamplerSpec kSamplers[] = {
    {"DPM++ 2M", "k_dpmpp_2m", SamplerKind::KDiffusion, sample_dpmpp_2m, Karras, false, false},
    {"DPM++ SDE", "k_dpmpp_sde", SamplerKind::KDiffusion, sample_dpmpp_sde, Karras, false, true},
    {"DPM++ 2M SDE", "k_dpmpp_2m_sde", SamplerKind::KDiffusion, sample_dpmpp_2m_sde, Exponential, false, false},
    {"DPM++ 2M SDE Heun", "k_dpmpp_2m_sde_heun", SamplerKind::KDiffusion, sample_dpmpp_2m_sde_heun, Exponential, false, false},
    {"DPM++ 2S a", "k_dpmpp_2s_a", SamplerKind::KDiffusion, sample_dpmpp_2s_ancestral, Karras, false, true},
    {"DPM++ 3M SDE", "k_dpmpp_3m_sde", SamplerKind::KDiffusion, sample_dpmpp_3m_sde, Exponential, true, false},
    {"Euler a", "k_euler_a", SamplerKind::KDiffusion, sample_euler_ancestral, Uniform, false, false},
    {"Euler", "k_euler", SamplerKind::KDiffusion, sample_euler, Uniform, false, false},
    {"LMS", "k_lms", SamplerKind::KDiffusion, sample_lms, Uniform, false, false},
    {"Heun", "k_heun", SamplerKind::KDiffusion, sample_heun, Uniform, false, true},
    {"DPM2", "k_dpm_2", SamplerKind::KDiffusion, sample_dpm_2, Karras, true, true},
    {"DPM2 a", "k_dpm_2_a", SamplerKind::KDiffusion, sample_dpm_2_ancestral, Karras, true, true},
    {"DPM fast", "k_dpm_fast", SamplerKind::KDiffusion, sample_dpm_fast, Uniform, false, false},
    {"DPM adaptive", "k_dpm_ad", SamplerKind::KDiffusion, sample_dpm_adaptive, Uniform, false, false},
    {"Restart", "restart", SamplerKind::KDiffusion, sample_restart, Karras, false, true},
    {"DDIM", "ddim", SamplerKind::Timesteps, nullptr, Uniform, false, false, sample_ddim},
    {"DDIM CFG++", "ddim_cfgpp", SamplerKind::Timesteps, nullptr, Uniform, false, false, sample_ddim_cfgpp, true},
    {"PLMS", "plms", SamplerKind::Timesteps, nullptr, Uniform, false, false, sample_plms},
    {"UniPC", "unipc", SamplerKind::Timesteps, nullptr, Uniform, false, false, sample_unipc},
    {"LCM", "k_lcm", SamplerKind::Lcm, sample_lcm, Uniform, false, false},
};

const SamplerSpec* lookup(std::string_view name) {
  for (const SamplerSpec& spec : kSamplers) {
    if (same_name(name, spec.name) || same_name(name, spec.alias)) return &spec;
  }
  return nullptr;
}

[[noreturn]] void unknown_sampler(std::string_view name) {
  throw InvalidArgument("unknown sampler \"" + std::string(name) + "\"; valid: " +
                        join_names(kSamplers, [](const SamplerSpec& s) { return std::string(s.name); }) +
                        " (a schedule type may follow, as in \"DPM++ 2M Karras\")");
}

}  // namespace

std::span<const SamplerSpec> samplers() { return kSamplers; }

const SamplerSpec& find_sampler(std::string_view name) {
  if (const SamplerSpec* spec = lookup(name)) return *spec;
  unknown_sampler(name);
}

SamplerChoice choose_sampler(std::string_view sampler, std::string_view schedule) {
  if (const SamplerSpec* spec = lookup(sampler)) return {spec, parse_schedule_type(schedule)};
  // A legacy name: a sampler, a space, a schedule type (which may itself hold spaces).
  for (auto space = sampler.find(' '); space != std::string_view::npos;
       space = sampler.find(' ', space + 1)) {
    const SamplerSpec* spec = lookup(sampler.substr(0, space));
    const auto type = find_schedule_type(sampler.substr(space + 1));
    if (spec && type) return {spec, *type};
  }
  unknown_sampler(sampler);
}

int prompt_editing_steps(const SamplerSpec& sampler, int steps) { return sampler.second_order ? 2 * steps : steps; }

double guidance_scale(const SamplerSpec& sampler, double cfg_scale) {
  constexpr double kCfgPlusPlusRange = 12.5;
  return sampler.cfg_plus_plus ? cfg_scale / kCfgPlusPlusRange : cfg_scale;
}

at::Tensor sampler_sigmas(const SamplerChoice& choice, int steps, const DiscreteSchedule& model) {
  const SamplerSpec& spec = *choice.sampler;
  if (spec.kind == SamplerKind::Timesteps) {
    throw InvalidArgument(std::string(spec.name) + " steps through timesteps, not sigmas (see ddim_timesteps)");
  }
  const ScheduleType type = choice.schedule == Automatic ? spec.automatic_schedule : choice.schedule;
  const DiscreteSchedule levels = spec.kind == SamplerKind::Lcm ? model.lcm() : model;
  if (!spec.discard_penultimate_sigma) return make_sigmas(type, steps, levels);
  const at::Tensor sigmas = make_sigmas(type, steps + 1, levels);
  return at::cat({sigmas.slice(0, 0, -2), sigmas.slice(0, -1)});
}

}  // namespace atelier
