#include <catch2/catch.hpp>

#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
#include "core/sampling/timestep_samplers.h"
#include "replay.h"

using namespace atelier;
using test::ref;

namespace {

// Replayed runs differ from the reference only by rounding (about 3e-7); euler and euler_noquant differ by
// about 2e-3, so this also tells quantized from continuous timesteps apart.
constexpr double kTolerance = 2e-6;

std::vector<std::int64_t> latent_shape(const nlohmann::json& run) {
  return run["latent_shape"].get<std::vector<std::int64_t>>();
}

}  // namespace

TEST_CASE("Registry sigmas are the reference runs' sigmas", "[samplers][replay]") {
  for (const auto& run : test::reference_json()["sampling"]["cases"]) {
    if (run["sampler"] == "ddim") continue;
    INFO(run["name"]);
    const SamplerChoice choice = choose_sampler(test::a1111_name(run["sampler"].get<std::string>()));
    const at::Tensor sigmas = sampler_sigmas(choice, run["steps"].get<int>(), test::sd_schedule());
    CHECK(test::relative_error(sigmas, ref(run["sigmas"])) <= 1e-6);
  }
}

TEST_CASE("k-diffusion samplers replay the reference runs", "[samplers][replay]") {
  for (const auto& run : test::reference_json()["sampling"]["cases"]) {
    // Heun's reference records only the first of its two model calls a step.
    if (run["sampler"] == "ddim" || run["sampler"] == "heun") continue;
    INFO(run["name"]);
    const SamplerChoice choice = choose_sampler(test::a1111_name(run["sampler"].get<std::string>()));
    const at::Tensor sigmas = sampler_sigmas(choice, run["steps"].get<int>(), test::sd_schedule());

    CpuNoise generator(run["seed"].get<std::uint64_t>());
    const at::Tensor noise = generator.randn(latent_shape(run));
    CHECK(test::relative_error(noise, ref(run["noise"])) <= 1e-6);
    const at::Tensor x_init = noise * sigmas[0].item<double>();
    CHECK(test::relative_error(x_init, ref(run["x_init"])) <= 1e-6);

    test::Trajectory trajectory(run);
    test::RecordingNoise fresh(generator);
    const at::Tensor latent = choice.sampler->function(trajectory.denoiser(), x_init, sigmas, fresh, {});
    CHECK(trajectory.calls() == run["steps"]);
    CHECK(trajectory.worst_x_error() <= kTolerance);
    CHECK(test::relative_error(latent, ref(run["latent"])) <= kTolerance);

    if (run.contains("ancestral_noise")) {
      const at::Tensor expected = ref(run["ancestral_noise"]);
      REQUIRE(fresh.draws.size() == run["num_noise_draws"].get<std::size_t>());
      for (std::size_t i = 0; i < fresh.draws.size(); ++i) {
        CHECK((fresh.draws[i] - expected[i]).abs().max().item<double>() <= 1e-6);
      }
    } else {
      CHECK(fresh.draws.empty());
    }
  }
}

TEST_CASE("DDIM replays the reference runs in eps-space", "[samplers][replay]") {
  for (const char* name : {"main_ddim", "extra_ddim"}) {
    const nlohmann::json& run = test::sampling_case(name);
    INFO(name);
    const std::vector<std::int64_t> timesteps = ddim_timesteps(run["steps"].get<int>());
    CHECK(timesteps == run["ddim_timesteps"].get<std::vector<std::int64_t>>());
    const at::Tensor alphas = ref(run["ddim_alphas"]);
    const at::Tensor alphas_prev = ref(run["ddim_alphas_prev"]);
    const at::Tensor& ac = test::sd_schedule().alphas_cumprod();
    CHECK(test::relative_error(ac.index_select(0, at::tensor(timesteps)), alphas) <= 1e-6);

    // The eps that takes the reference x to the reference x0 at each step.
    test::Trajectory trajectory(run);
    const EpsModel eps = [&](const at::Tensor& x, const at::Tensor& t) {
      const int i = trajectory.next(x);
      const int index = static_cast<int>(timesteps.size()) - 1 - i;
      CHECK(t.scalar_type() == at::kLong);
      CHECK(t.item<std::int64_t>() == timesteps[index]);
      const double a_t = alphas[index].item<double>();
      return (trajectory.x(i) - std::sqrt(a_t) * trajectory.denoised(i)) / std::sqrt(1 - a_t);
    };
    int callbacks = 0;
    const StepCallback count = [&](int step, int total, const at::Tensor& x, const at::Tensor& x0) {
      CHECK(step == callbacks++);
      CHECK(total == 8);
      CHECK(test::relative_error(x, trajectory.x(step)) <= kTolerance);
      CHECK(test::relative_error(x0, trajectory.denoised(step)) <= kTolerance);
    };
    // LDM's DDIMSampler is A1111's loop over its timesteps with 0 in front: it ends at alphas_cumprod[0].
    std::vector<std::int64_t> to_zero{0};
    to_zero.insert(to_zero.end(), timesteps.begin(), timesteps.end());
    const at::Tensor latent = sample_ddim({eps, {}}, ref(run["noise"]), test::sd_schedule(), to_zero, false, count);
    CHECK(callbacks == 8);
    CHECK(trajectory.worst_x_error() <= kTolerance);
    CHECK(test::relative_error(latent, ref(run["latent"])) <= kTolerance);
    CHECK(alphas_prev[0].item<float>() == ac[0].item<float>());
  }
}
