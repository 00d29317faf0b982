// The samplers added from k-diffusion and A1111 against runs of their own code
// (tests/data/samplers/make_reference_runs.py): the same toy denoiser, the same noise draws in
// the same order, the same sigmas or timesteps; only Atelier's sampler differs.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
#include "core/sampling/sampling_run.h"
#include "support/fixtures.h"

using namespace atelier;

namespace {

// The fixed draws, handed out in order as the reference's noise sampler did.
class Draws final : public NoiseSource {
 public:
  Draws(const nlohmann::json& noise, std::vector<int64_t> shape) : noise_(noise), shape_(std::move(shape)) {}
  at::Tensor randn(at::IntArrayRef shape) override {
    REQUIRE(shape == at::IntArrayRef(shape_));
    REQUIRE(used_ < noise_.size());
    return at::tensor(noise_[used_++].get<std::vector<float>>()).reshape(shape_);
  }
  std::size_t used() const { return used_; }

 private:
  const nlohmann::json& noise_;
  std::vector<int64_t> shape_;
  std::size_t used_ = 0;
};

const nlohmann::json& reference_runs() {
  static const auto runs = nlohmann::json::parse(std::ifstream(test::data_path("samplers/reference_runs.json")));
  return runs;
}

at::Tensor tensor_of(const nlohmann::json& values, at::IntArrayRef shape) {
  return at::tensor(values.get<std::vector<float>>()).reshape(shape);
}

// The generator's UNet stand-in: the toy denoiser's posterior for data of mean `mu` in eps-space
// (or v) at continuous timestep t, alphas_cumprod interpolated linearly between timesteps.
at::Tensor toy_unet(const at::Tensor& alphas_cumprod, const at::Tensor& x, const at::Tensor& t, double mu, double s,
                    bool v_prediction, bool coupled = false) {
  const at::Tensor time = t.to(at::kDouble);
  const at::Tensor low = time.floor().clamp(0, 998);
  const at::Tensor table = alphas_cumprod.to(at::kDouble);
  const at::Tensor a_low = table.index_select(0, low.to(at::kLong)), a_high = table.index_select(0, low.to(at::kLong) + 1);
  const at::Tensor a = (a_low + (time - low) * (a_high - a_low)).to(at::kFloat).reshape({-1, 1, 1, 1});
  const at::Tensor variance = (1 - a) / a;
  const at::Tensor x_k = x / a.sqrt();
  at::Tensor denoised = mu + s * s / (s * s + variance) * (x_k - mu) + 0.05 * at::sin(3 * x_k) / (1 + variance);
  // Each pixel also seeing the image's mean, as a UNet sees its neighbours (the inpainting cases).
  if (coupled) denoised = denoised + 0.2 * x_k.mean({2, 3}, /*keepdim=*/true) / (1 + variance);
  const at::Tensor eps = (x_k - denoised) / variance.sqrt();
  return v_prediction ? a.sqrt() * eps - (1 - a).sqrt() * denoised : eps;
}

}  // namespace

TEST_CASE("new samplers follow k-diffusion's and A1111's code step for step", "[samplers][reference]") {
  const auto& runs = reference_runs();
  const auto shape = runs["shape"].get<std::vector<int64_t>>();
  const double mu = runs["mu"], s = runs["s"];
  const Denoiser model = [&](const at::Tensor& x, const at::Tensor& sigma) {
    const auto variance = sigma.reshape({-1, 1, 1, 1}).pow(2);
    return mu + s * s / (s * s + variance) * (x - mu) + 0.05 * at::sin(3 * x) / (1 + variance);
  };
  const auto x_T = at::tensor(runs["x_T"].get<std::vector<float>>()).reshape(shape);
  REQUIRE(runs["cases"].size() == 10);
  for (const auto& run : runs["cases"]) {
    INFO(run["name"].get<std::string>());
    const auto sigmas = at::tensor(run["sigmas"].get<std::vector<float>>());
    Draws draws(runs["noise"], shape);
    const auto& spec = find_sampler(run["sampler"].get<std::string>());
    const auto final = spec.function(model, x_T * sigmas[0], sigmas, draws, {});
    const auto expected = at::tensor(run["final"].get<std::vector<float>>()).reshape(shape);
    CHECK(draws.used() == run["draws"].get<std::size_t>());
    CHECK((final - expected).abs().max().item<double>() <= 1e-4 * expected.abs().max().item<double>());
  }
}

namespace {

// The generator's timestep runs: their inputs, and a case's run as the pipeline makes it.
struct TimestepRuns {
  const nlohmann::json& runs = reference_runs();
  const nlohmann::json& reference = runs["timesteps"];
  const std::vector<int64_t> shape = runs["shape"].get<std::vector<int64_t>>();
  const at::Tensor alphas_cumprod = at::tensor(reference["alphas_cumprod"].get<std::vector<float>>());
  const DiscreteSchedule schedule{alphas_cumprod};
  const at::Tensor x_T = tensor_of(runs["x_T"], shape), x_0 = tensor_of(reference["x_0"], shape);
  int calls = 0;

  // `run`'s sampler over the toy UNet with the pipeline's guided_eps: both halves, the
  // unconditional one recorded for CFG++; `coupled` as the generator's inpainting cases.
  SamplingRun sampling(const nlohmann::json& run, std::optional<LatentMask> mask = std::nullopt) {
    const SamplerChoice choice = choose_sampler(run["sampler"].get<std::string>());
    const bool v_prediction = run["v_prediction"], coupled = mask.has_value();
    const double guidance = guidance_scale(*choice.sampler, run["cfg_scale"].get<double>());
    const auto last_uncond = std::make_shared<at::Tensor>();
    calls = 0;
    const EpsModel eps = [this, last_uncond, guidance, v_prediction, coupled](const at::Tensor& x, const at::Tensor& t) {
      ++calls;
      const double s = runs["s"];
      *last_uncond = toy_unet(alphas_cumprod, x, t, reference["mu_uncond"], s, v_prediction, coupled);
      const at::Tensor cond = toy_unet(alphas_cumprod, x, t, reference["mu_cond"], s, v_prediction, coupled);
      return *last_uncond + (cond - *last_uncond) * guidance;
    };
    return {choice, run["steps"].get<int>(), false, eps, schedule, v_prediction, std::nullopt, mask, last_uncond};
  }

  double error(const at::Tensor& final, const nlohmann::json& run) const {
    const auto expected = tensor_of(run["final"], shape);
    return (final - expected).abs().max().item<double>() / expected.abs().max().item<double>();
  }
};

}  // namespace

TEST_CASE("A1111's timestep samplers follow its own code step for step", "[samplers][reference]") {
  TimestepRuns timesteps;
  CHECK(at::equal(timesteps.alphas_cumprod, DiscreteSchedule::scaled_linear().alphas_cumprod()));
  REQUIRE(timesteps.reference["cases"].size() == 15);
  for (const auto& run : timesteps.reference["cases"]) {
    INFO(run["name"].get<std::string>());
    // Atelier's txt2img DDIM is CompVis's (sd1-tiny's DDIM parity), a call longer than A1111 1.6's.
    if (run["sampler"] == "DDIM" && run["strength"] == 0) continue;
    const SamplingRun sampling = timesteps.sampling(run);
    Draws unused(timesteps.runs["noise"], timesteps.shape);
    const double strength = run["strength"];
    const at::Tensor final = strength > 0 ? run_img2img(sampling, timesteps.x_0, strength, timesteps.x_T, unused, {})
                                          : run_txt2img(sampling, timesteps.x_T, unused, {});
    CHECK(timesteps.calls == run["calls"].get<int>());
    CHECK(unused.used() == 0);
    CHECK(timesteps.error(final, run) <= 1e-5);  // measured at most 1.3e-6 (F32 in A1111, double step scalars here)
  }
}

TEST_CASE("A1111's timestep samplers inpaint as its own code does", "[samplers][reference][inpainting]") {
  TimestepRuns timesteps;
  const auto& inpainting = timesteps.reference["inpainting"];
  std::vector<float> repaint;
  for (const auto& row : inpainting["repaint"])
    for (const float value : row) repaint.push_back(value);
  const LatentMask mask{timesteps.x_0, at::tensor(repaint).reshape({1, 1, 3, 3})};
  const at::Tensor keep = 1 - mask.repaint;
  REQUIRE(inpainting["cases"].size() == 6);
  for (const auto& run : inpainting["cases"]) {
    INFO(run["name"].get<std::string>());
    const SamplingRun sampling = timesteps.sampling(run, mask);
    Draws unused(timesteps.runs["noise"], timesteps.shape);
    const at::Tensor final = run_img2img(sampling, timesteps.x_0, run["strength"].get<double>(), timesteps.x_T, unused, {});
    CHECK(timesteps.calls == run["calls"].get<int>());
    // The kept pixels are the init latent's exactly; the repainted ones follow A1111's steps.
    CHECK(at::equal(final * keep, timesteps.x_0 * keep));
    CHECK(timesteps.error(final, run) <= 1e-5);
  }
}
