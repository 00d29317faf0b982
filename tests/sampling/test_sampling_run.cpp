#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/sampling/sampling_run.h"
#include "replay.h"

using namespace atelier;
using test::ref;

namespace {

constexpr double kRunTolerance = 2e-6;

// A UNet stand-in whose guided eps makes eps_denoiser answer the recorded denoised estimates,
// checking the timesteps it is called with.
EpsModel replayed_unet(test::Trajectory& trajectory, at::Tensor sigmas, bool quantize) {
  return [&trajectory, sigmas, quantize](const at::Tensor& model_input, const at::Tensor& t) {
    const int i = trajectory.calls();
    const double sigma = sigmas[i].item<double>();
    const at::Tensor x = model_input * std::sqrt(sigma * sigma + 1);
    trajectory.next(x);
    const at::Tensor expected_t = test::sd_schedule().sigma_to_t(sigmas.slice(0, i, i + 1), quantize);
    CHECK(t.scalar_type() == (quantize ? at::kLong : at::kFloat));
    CHECK(t.item<double>() == expected_t.item<double>());
    return (x - trajectory.denoised(i)) / sigma;
  };
}

SamplingRun run_for(const nlohmann::json& run, EpsModel eps) {
  return {choose_sampler(test::a1111_name(run["sampler"].get<std::string>())), run["steps"].get<int>(),
          run["quantize"].is_boolean() && run["quantize"].get<bool>(), std::move(eps), test::sd_schedule(), false, std::nullopt, std::nullopt};
}

}  // namespace

TEST_CASE("run_txt2img replays the reference txt2img runs", "[sampling_run][replay]") {
  for (const char* name : {"main_euler", "main_euler_noquant", "main_euler_a", "extra_dpmpp_2m_karras"}) {
    const nlohmann::json& run = test::sampling_case(name);
    INFO(name);
    test::Trajectory trajectory(run);
    const SamplingRun sampling =
        run_for(run, replayed_unet(trajectory, ref(run["sigmas"]), run["quantize"].get<bool>()));
    CpuNoise generator(run["seed"].get<std::uint64_t>());
    const at::Tensor noise = generator.randn(run["latent_shape"].get<std::vector<std::int64_t>>());
    int steps_seen = 0;
    const at::Tensor latent = run_txt2img(
        sampling, noise, generator, [&](int, int, const at::Tensor&, const at::Tensor&) { ++steps_seen; });
    CHECK(steps_seen == 8);
    CHECK(trajectory.worst_x_error() <= kRunTolerance);
    CHECK(test::relative_error(latent, ref(run["latent"])) <= kRunTolerance);
  }
}

TEST_CASE("run_img2img replays the reference img2img run", "[sampling_run][replay]") {
  const nlohmann::json& run = test::reference_json()["img2img"];
  test::Trajectory trajectory(run);
  const at::Tensor sigmas = ref(run["sigmas"]);
  const SamplingRun sampling{choose_sampler("Euler"), run["steps"].get<int>(), true,
                             replayed_unet(trajectory, sigmas, true), test::sd_schedule(), false, std::nullopt, std::nullopt};
  CpuNoise generator(run["seed"].get<std::uint64_t>());
  const at::Tensor init_latent = ref(run["init_latent"]);
  const at::Tensor noise = generator.randn(init_latent.sizes());
  CHECK(test::relative_error(noise, ref(run["noise"])) <= 1e-6);
  const at::Tensor latent =
      run_img2img(sampling, init_latent, run["strength"].get<double>(), noise, generator, {});
  CHECK(trajectory.calls() == run["num_sigma_steps"].get<int>());
  CHECK(trajectory.worst_x_error() <= kRunTolerance);
  CHECK(test::relative_error(latent, ref(run["latent"])) <= kRunTolerance);
  CHECK_THROWS_AS(run_img2img(sampling, init_latent, 0.0, noise, generator, {}), InvalidArgument);
}

TEST_CASE("DDIM img2img starts from the noised image at timestep t_enc", "[sampling_run]") {
  const DiscreteSchedule& schedule = test::sd_schedule();
  std::vector<std::int64_t> seen;
  at::Tensor first_x;
  const EpsModel eps = [&](const at::Tensor& x, const at::Tensor& t) {
    if (seen.empty()) first_x = x;
    seen.push_back(t.item<std::int64_t>());
    return at::zeros_like(x);
  };
  const SamplingRun sampling{choose_sampler("DDIM"), 10, false, eps, schedule, false, std::nullopt, std::nullopt};
  const at::Tensor init = at::full({1, 4, 2, 2}, 0.5), noise = at::full({1, 4, 2, 2}, 2.0);
  CpuNoise fresh(0);
  const at::Tensor latent = run_img2img(sampling, init, 0.5, noise, fresh, {});
  // A1111 runs the first t_enc timesteps, one step fewer than there are, ending at timestep 1.
  CHECK(seen == std::vector<std::int64_t>{401, 301, 201, 101});
  const double a = schedule.alphas_cumprod()[501].item<double>();
  CHECK(first_x[0][0][0][0].item<double>() == Approx(std::sqrt(a) * 0.5 + std::sqrt(1 - a) * 2.0));
  // With eps 0 each step only rescales x0 = x / sqrt(alpha_t); the first step reads alpha at
  // timestep 401 (A1111 noises one step above where it starts denoising).
  const double a_first = schedule.alphas_cumprod()[401].item<double>();
  const double a_last = schedule.alphas_cumprod()[1].item<double>();
  CHECK(latent[0][0][0][0].item<double>() ==
        Approx(first_x[0][0][0][0].item<double>() / std::sqrt(a_first) * std::sqrt(a_last)).epsilon(1e-5));
}

TEST_CASE("A throwing callback stops a run", "[sampling_run]") {
  int model_calls = 0;
  const EpsModel eps = [&](const at::Tensor& x, const at::Tensor&) {
    ++model_calls;
    return at::zeros_like(x);
  };
  for (const SamplerSpec& spec : samplers()) {
    INFO(spec.name);
    model_calls = 0;
    const SamplingRun sampling{{&spec, ScheduleType::Automatic}, 10, false, eps, test::sd_schedule(), false,
                               std::nullopt, std::nullopt, std::make_shared<at::Tensor>(at::zeros({1, 4, 2, 2}))};
    CpuNoise noise(1);
    const auto cancel_at_third = [](int step, int, const at::Tensor&, const at::Tensor&) {
      if (step == 2) throw Cancelled();
    };
    CHECK_THROWS_AS(run_txt2img(sampling, noise.randn({1, 4, 2, 2}), noise, cancel_at_third), Cancelled);
    CHECK(model_calls >= 3);
    CHECK(model_calls <= 7);  // second-order samplers call the model twice a step, DPM-Solver's third-order ones 3 times
  }
}
