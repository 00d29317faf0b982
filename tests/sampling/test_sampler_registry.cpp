#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/sampling/sampler_registry.h"
#include "sampling/replay.h"

using namespace atelier;

TEST_CASE("Every A1111 sampler name is registered", "[registry]") {
  for (const char* name : {"Euler", "Euler a", "Heun", "LMS", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M",
                           "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 3M SDE", "DPM fast",
                           "DPM adaptive", "Restart", "DDIM", "DDIM CFG++", "PLMS", "UniPC", "LCM"}) {
    INFO(name);
    const SamplerSpec& spec = find_sampler(name);
    CHECK(spec.name == name);
    CHECK((spec.function != nullptr) == (spec.kind != SamplerKind::Timesteps));
    CHECK((spec.timestep_function != nullptr) == (spec.kind == SamplerKind::Timesteps));
    CHECK(&find_sampler(spec.alias) == &spec);
  }
  CHECK(samplers().size() == 20);
  CHECK(find_sampler("ddim_cfgpp").name == "DDIM CFG++");
  CHECK(find_sampler("unipc").name == "UniPC");
  CHECK(find_sampler("euler A").name == "Euler a");
  CHECK(find_sampler("k_dpmpp_2m").name == "DPM++ 2M");
}

TEST_CASE("Automatic means each sampler's A1111 default", "[registry]") {
  using enum ScheduleType;
  CHECK(find_sampler("Euler").automatic_schedule == Uniform);
  CHECK(find_sampler("Euler a").automatic_schedule == Uniform);
  CHECK(find_sampler("LMS").automatic_schedule == Uniform);
  CHECK(find_sampler("Heun").automatic_schedule == Uniform);
  CHECK(find_sampler("DPM2").automatic_schedule == Karras);
  CHECK(find_sampler("DPM2 a").automatic_schedule == Karras);
  CHECK(find_sampler("DPM++ 2S a").automatic_schedule == Karras);
  CHECK(find_sampler("DPM++ 2M").automatic_schedule == Karras);
  CHECK(find_sampler("DPM++ SDE").automatic_schedule == Karras);
  CHECK(find_sampler("DPM++ 2M SDE").automatic_schedule == Exponential);
  CHECK(find_sampler("DPM++ 2M SDE Heun").automatic_schedule == Exponential);
  CHECK(find_sampler("DPM++ 3M SDE").automatic_schedule == Exponential);
  CHECK(find_sampler("DPM++ 3M SDE").discard_penultimate_sigma);
  CHECK(find_sampler("DPM fast").automatic_schedule == Uniform);
  CHECK(find_sampler("DPM adaptive").automatic_schedule == Uniform);
  CHECK(find_sampler("Restart").automatic_schedule == Karras);
  CHECK(find_sampler("LCM").automatic_schedule == Uniform);

  CHECK(at::equal(sampler_sigmas(choose_sampler("DPM++ 2M"), 10, test::sd_schedule()),
                  karras_sigmas(10, test::sd_schedule().sigma_min(), test::sd_schedule().sigma_max())));
  CHECK(at::equal(sampler_sigmas(choose_sampler("DPM++ 2M", "Uniform"), 10, test::sd_schedule()), test::sd_schedule().uniform_sigmas(10)));
  CHECK(at::equal(sampler_sigmas(choose_sampler("DPM++ 2M SDE"), 10, test::sd_schedule()),
                  exponential_sigmas(10, test::sd_schedule().sigma_min(), test::sd_schedule().sigma_max())));
}

TEST_CASE("Legacy combined names carry their schedule type", "[registry]") {
  const auto check = [](const char* legacy, const char* sampler, ScheduleType schedule) {
    INFO(legacy);
    const SamplerChoice choice = choose_sampler(legacy, "Uniform");
    CHECK(choice.sampler->name == sampler);
    CHECK(choice.schedule == schedule);
  };
  check("DPM++ 2M Karras", "DPM++ 2M", ScheduleType::Karras);
  check("DPM++ 2M SDE Karras", "DPM++ 2M SDE", ScheduleType::Karras);
  check("DPM++ 2M SDE Exponential", "DPM++ 2M SDE", ScheduleType::Exponential);
  check("DPM++ 2M SDE", "DPM++ 2M SDE", ScheduleType::Uniform);
  check("DPM2 a Karras", "DPM2 a", ScheduleType::Karras);
  check("LMS Karras", "LMS", ScheduleType::Karras);
  check("Euler SGM Uniform", "Euler", ScheduleType::SgmUniform);
  check("DDIM", "DDIM", ScheduleType::Uniform);
}

TEST_CASE("Unknown names are rejected with the valid ones", "[registry]") {
  CHECK_THROWS_AS(choose_sampler("Euler b"), InvalidArgument);
  CHECK_THROWS_WITH(find_sampler("Euler Dy"),
                    Catch::Contains("Euler a, Euler, LMS") && Catch::Contains("DDIM, DDIM CFG++, PLMS, UniPC, LCM"));
  CHECK_THROWS_WITH(choose_sampler("DPM++ 2M Beta"), Catch::Contains("DPM++ 2M Karras"));
  CHECK_THROWS_AS(choose_sampler("Euler", "Beta"), InvalidArgument);
  CHECK_THROWS_AS(sampler_sigmas(choose_sampler("DDIM"), 10, test::sd_schedule()), InvalidArgument);
  CHECK_THROWS_AS(sampler_sigmas(choose_sampler("UniPC"), 10, test::sd_schedule()), InvalidArgument);
}

TEST_CASE("CFG++ guides at a 12.5th of the CFG scale, the others at the scale", "[registry]") {
  CHECK(guidance_scale(find_sampler("DDIM CFG++"), 7.5) == Approx(0.6));
  CHECK(find_sampler("DDIM CFG++").cfg_plus_plus);
  for (const SamplerSpec& spec : samplers()) {
    INFO(spec.name);
    if (!spec.cfg_plus_plus) CHECK(guidance_scale(spec, 7.5) == 7.5);
  }
}

TEST_CASE("DPM2 takes one step more and drops the next-to-last sigma", "[registry]") {
  const at::Tensor sigmas = sampler_sigmas(choose_sampler("DPM2"), 10, test::sd_schedule());
  const at::Tensor eleven = karras_sigmas(11, test::sd_schedule().sigma_min(), test::sd_schedule().sigma_max());
  REQUIRE(sigmas.size(0) == 11);
  CHECK(at::equal(sigmas.slice(0, 0, 10), eleven.slice(0, 0, 10)));
  CHECK(sigmas[10].item<float>() == 0);
}

TEST_CASE("LCM runs over its own 50 levels", "[registry]") {
  const at::Tensor sigmas = sampler_sigmas(choose_sampler("LCM"), 4, test::sd_schedule());
  CHECK(at::equal(sigmas, test::sd_schedule().lcm().uniform_sigmas(4)));
  const at::Tensor karras = sampler_sigmas(choose_sampler("LCM", "Karras"), 4, test::sd_schedule());
  CHECK(karras[3].item<double>() == Approx(test::sd_schedule().lcm().sigma_min()).epsilon(1e-6));
}
