#pragma once
// Plays back the reference sampling runs of the fixture: the model is replaced by the recorded
// denoised estimates, so a sampler's own arithmetic is all that is tested.
#include <ATen/ATen.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/sampling/denoiser.h"
#include "core/sampling/noise.h"
#include "core/sampling/schedule.h"
#include "support/fixtures.h"

namespace atelier::test {

inline at::Tensor ref(const nlohmann::json& key) { return reference(key.get<std::string>()); }

inline const DiscreteSchedule& sd_schedule() {
  static const DiscreteSchedule schedule = DiscreteSchedule::scaled_linear();
  return schedule;
}

inline const nlohmann::json& sampling_case(const std::string& name) {
  for (const auto& c : reference_json()["sampling"]["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no sampling case " + name);
}

// A1111's name for each reference sampler.
inline std::string a1111_name(const std::string& fixture_sampler) {
  static const std::map<std::string, std::string> names = {
      {"euler", "Euler"},
      {"euler_noquant", "Euler"},
      {"euler_a", "Euler a"},
      {"heun", "Heun"},
      {"lms", "LMS"},
      {"dpmpp_2m_karras", "DPM++ 2M Karras"},
      {"dpmpp_2m_sde_karras", "DPM++ 2M SDE Karras"},
      {"ddim", "DDIM"},
  };
  return names.at(fixture_sampler);
}

// The recorded trajectory of one run: call i checks the x it is given against trajectory_x[i]
// and answers with trajectory_denoised[i].
class Trajectory {
 public:
  explicit Trajectory(const nlohmann::json& run)
      : x_(ref(run["trajectory_x"])), denoised_(ref(run["trajectory_denoised"])) {}

  std::int64_t steps() const { return x_.size(0); }
  int calls() const { return calls_; }
  double worst_x_error() const { return worst_x_error_; }
  at::Tensor denoised(int i) const { return denoised_[i]; }
  at::Tensor x(int i) const { return x_[i]; }

  // The next recorded step, after checking where the sampler has brought x.
  int next(const at::Tensor& x) {
    if (calls_ >= steps()) throw std::runtime_error("more model calls than the reference made");
    worst_x_error_ = std::max(worst_x_error_, relative_error(x, x_[calls_]));
    return calls_++;
  }

  Denoiser denoiser() {
    return [this](const at::Tensor& x, const at::Tensor&) { return denoised_[next(x)]; };
  }

 private:
  at::Tensor x_;
  at::Tensor denoised_;
  int calls_ = 0;
  double worst_x_error_ = 0;
};

// Passes a source's numbers on, keeping a copy of each draw.
class RecordingNoise final : public NoiseSource {
 public:
  explicit RecordingNoise(NoiseSource& source) : source_(source) {}
  at::Tensor randn(at::IntArrayRef shape) override { return draws.emplace_back(source_.randn(shape)); }
  std::vector<at::Tensor> draws;

 private:
  NoiseSource& source_;
};

}  // namespace atelier::test
