#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/sampling/schedule.h"
#include "core/sampling/sigma_schedules.h"
#include "sampling/replay.h"
#include "support/fixtures.h"

using namespace atelier;
using test::ref;

namespace {

const nlohmann::json& schedules_json() { return test::reference_json()["schedules"]; }

const DiscreteSchedule& sd() {
  static const DiscreteSchedule schedule = DiscreteSchedule::scaled_linear();
  return schedule;
}

bool descending(const at::Tensor& sigmas) {
  return (sigmas.slice(0, 1) < sigmas.slice(0, 0, -1)).all().item<bool>();
}

}  // namespace

TEST_CASE("The scaled-linear schedule is LDM's", "[schedule]") {
  CHECK(test::relative_error(sd().alphas_cumprod(), ref(schedules_json()["alphas_cumprod"])) <= 1e-6);
  CHECK(test::relative_error(sd().sigmas(), ref(schedules_json()["sigmas"])) <= 1e-6);
  CHECK(test::relative_error(sd().log_sigmas(), ref(schedules_json()["log_sigmas"])) <= 1e-6);
  CHECK(sd().sigma_min() == Approx(schedules_json()["sigma_min"].get<double>()).epsilon(1e-7));
  CHECK(sd().sigma_max() == Approx(schedules_json()["sigma_max"].get<double>()).epsilon(1e-7));
  CHECK(sd().levels() == 1000);
}

TEST_CASE("Discrete and Karras sigmas and their timesteps match k-diffusion", "[schedule]") {
  for (const char* kind : {"discrete", "karras"}) {
    for (const auto& [steps_text, keys] : schedules_json()[kind].items()) {
      const int steps = std::stoi(steps_text);
      INFO(kind << " " << steps);
      const at::Tensor sigmas = std::string(kind) == "discrete"
                                    ? sd().uniform_sigmas(steps)
                                    : karras_sigmas(steps, sd().sigma_min(), sd().sigma_max());
      CHECK(sigmas.size(0) == steps + 1);
      CHECK(test::relative_error(sigmas, ref(keys["sigmas"])) <= 1e-6);
      const at::Tensor noisy = sigmas.slice(0, 0, steps);
      const at::Tensor t_quantized = sd().sigma_to_t(noisy, true);
      CHECK(t_quantized.scalar_type() == at::kLong);
      CHECK(at::equal(t_quantized.to(at::kInt),
                      test::reference_tensors().tensor(keys["t_quantized"].get<std::string>())));
      CHECK(test::relative_error(sd().sigma_to_t(noisy, false), ref(keys["t_continuous"])) <= 1e-6);
    }
  }
}

TEST_CASE("sigma_to_t keeps its input's shape; t_to_sigma inverts it", "[schedule]") {
  const at::Tensor sigma = at::tensor({14.6146421f, 1.0f, 0.0291675329f}).view({3, 1});
  CHECK(sd().sigma_to_t(sigma, true).sizes() == sigma.sizes());
  const at::Tensor t = sd().sigma_to_t(sigma, false);
  CHECK(t[0][0].item<float>() == Approx(999).margin(1e-3));
  CHECK(t[2][0].item<float>() == Approx(0).margin(1e-3));
  CHECK(test::relative_error(sd().t_to_sigma(t), sigma) <= 1e-5);
}

TEST_CASE("The LCM schedule keeps every 20th level, at timesteps 19 to 999", "[schedule]") {
  const DiscreteSchedule lcm = sd().lcm();
  CHECK(lcm.levels() == 50);
  CHECK(lcm.timestep(0) == 19);
  CHECK(lcm.timestep(49) == 999);
  CHECK(lcm.sigma_min() == sd().sigmas()[19].item<double>());
  CHECK(lcm.sigma_max() == sd().sigma_max());
  CHECK(lcm.sigma_to_t(sd().sigmas().slice(0, 19, 1000, 20), true).equal(at::arange(19, 1000, 20)));
  const at::Tensor sigmas = lcm.uniform_sigmas(4);  // timesteps 999, 672.33, 345.67, 19
  CHECK(sigmas[0].item<double>() == Approx(lcm.sigma_max()).epsilon(1e-6));
  CHECK(sigmas[3].item<double>() == Approx(lcm.sigma_min()).epsilon(1e-6));
  CHECK(sigmas[4].item<double>() == 0);
}

TEST_CASE("Every schedule type descends from about sigma_max and ends at 0", "[schedule]") {
  for (ScheduleType type : schedule_types()) {
    for (int steps : {1, 7, 20}) {
      INFO(to_string(type) << " " << steps);
      const at::Tensor sigmas = make_sigmas(type, steps, sd());
      CHECK(sigmas.scalar_type() == at::kFloat);
      if (type == ScheduleType::Ddim) {
        // Levels 1, 1 + c, ... below 1000 (c = 1000 / steps), noisiest first, then 0.
        const int stride = 1000 / steps;
        CHECK(sigmas.size(0) == 998 / stride + 2);
        CHECK(sigmas[0].item<float>() == sd().sigmas()[1 + stride * (998 / stride)].item<float>());
      } else {
        CHECK(sigmas.size(0) == steps + 1);
        CHECK(sigmas[0].item<double>() == Approx(sd().sigma_max()).epsilon(1e-5));
      }
      if (type == ScheduleType::KlOptimal) {
        CHECK(sigmas[-1].item<double>() == Approx(sd().sigma_min()).epsilon(1e-5));  // as A1111: no final 0
      } else {
        CHECK(sigmas[-1].item<double>() == 0);
      }
      if (steps > 1) CHECK(descending(sigmas));
    }
  }
}

TEST_CASE("Schedule types differ as A1111's do", "[schedule]") {
  const auto sigmas = [](ScheduleType type) { return make_sigmas(type, 10, sd()); };
  CHECK(at::equal(sigmas(ScheduleType::Automatic), sd().uniform_sigmas(10)));
  CHECK(at::equal(sigmas(ScheduleType::Normal), sd().uniform_sigmas(10)));
  CHECK(test::relative_error(sigmas(ScheduleType::Polyexponential), sigmas(ScheduleType::Exponential)) <=
        1e-5);
  // Exponential: evenly spaced in log sigma.
  const at::Tensor log_steps = sigmas(ScheduleType::Exponential).slice(0, 0, 10).log().diff();
  CHECK(test::relative_error(log_steps, at::full_like(log_steps, log_steps[0].item<float>())) <= 1e-4);
  // Simple: every 100th level from the top; DDIM: the levels at LDM's DDIM timesteps.
  CHECK(sigmas(ScheduleType::Simple)[1].item<float>() == sd().sigmas()[899].item<float>());
  CHECK(sigmas(ScheduleType::Ddim)[0].item<float>() == sd().sigmas()[901].item<float>());
  CHECK(sigmas(ScheduleType::Ddim)[9].item<float>() == sd().sigmas()[1].item<float>());
  // SGM Uniform: trailing spacing, so it stops short of the least noisy level.
  CHECK(sigmas(ScheduleType::SgmUniform)[9].item<float>() > sd().uniform_sigmas(10)[9].item<float>());
  CHECK_THROWS_AS(make_sigmas(ScheduleType::Karras, 0, sd()), InvalidArgument);
}

TEST_CASE("Schedule types parse from A1111's labels and names", "[schedule]") {
  CHECK(parse_schedule_type("Karras") == ScheduleType::Karras);
  CHECK(parse_schedule_type("sgm_uniform") == ScheduleType::SgmUniform);
  CHECK(parse_schedule_type("SGMUniform") == ScheduleType::SgmUniform);
  CHECK(parse_schedule_type("kl optimal") == ScheduleType::KlOptimal);
  for (ScheduleType type : schedule_types()) CHECK(parse_schedule_type(to_string(type)) == type);
  CHECK_FALSE(find_schedule_type("Beta").has_value());
  CHECK_THROWS_WITH(parse_schedule_type("Beta"), Catch::Contains("Automatic, Uniform, Karras"));
}
