#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/sampling/denoiser.h"
#include "core/sampling/timestep_samplers.h"
#include "sampling/replay.h"

using namespace atelier;

TEST_CASE("eps_denoiser is k-diffusion's DiscreteEpsDDPMDenoiser", "[denoiser]") {
  at::Tensor seen_input, seen_t;
  const EpsModel eps = [&](const at::Tensor& x, const at::Tensor& t) {
    seen_input = x;
    seen_t = t;
    return at::full_like(x, 0.5);
  };
  const at::Tensor x = at::full({2, 4, 3, 3}, 3.0);
  const at::Tensor sigma = at::tensor({2.0f, 2.0f});
  for (bool quantize : {true, false}) {
    const at::Tensor denoised = eps_denoiser(eps, test::sd_schedule(), quantize)(x, sigma);
    CHECK(denoised[1][3][2][2].item<double>() == Approx(3.0 - 2.0 * 0.5));
    CHECK(seen_input[0][0][0][0].item<double>() == Approx(3.0 / std::sqrt(5.0)));
    CHECK(at::equal(seen_t, test::sd_schedule().sigma_to_t(sigma, quantize)));
  }
}

TEST_CASE("lcm_denoiser adds LCM's boundary condition at its timesteps", "[denoiser]") {
  const DiscreteSchedule lcm = test::sd_schedule().lcm();
  at::Tensor seen_t;
  const EpsModel eps = [&](const at::Tensor& x, const at::Tensor& t) {
    seen_t = t;
    return at::zeros_like(x);
  };
  const at::Tensor x = at::full({1, 4, 2, 2}, 2.0);
  const at::Tensor sigma = lcm.sigmas().slice(0, 0, 1);  // timestep 19
  const at::Tensor denoised = lcm_denoiser(eps, lcm)(x, sigma);
  CHECK(seen_t.item<std::int64_t>() == 19);
  // eps 0 gives D = x; then c_skip x + c_out x with t = 190 and sigma_data 0.5.
  const double t = 190, c_skip = 0.25 / (t * t + 0.25), c_out = t / std::sqrt(t * t + 0.25);
  CHECK(denoised[0][0][0][0].item<double>() == Approx((c_skip + c_out) * 2.0));
}

TEST_CASE("DDIM timesteps are LDM's", "[denoiser]") {
  CHECK(ddim_timesteps(8) == std::vector<std::int64_t>{1, 126, 251, 376, 501, 626, 751, 876});
  CHECK(ddim_timesteps(1) == std::vector<std::int64_t>{1});
  CHECK(ddim_timesteps(3) == std::vector<std::int64_t>{1, 334, 667, 999});  // LDM would index 1000
  CHECK(ddim_timesteps(7).size() == 8);
  CHECK_THROWS_AS(ddim_timesteps(0), InvalidArgument);
  CHECK_THROWS_AS(ddim_timesteps(1001), InvalidArgument);
}
