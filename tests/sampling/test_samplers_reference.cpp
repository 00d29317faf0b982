// The samplers added from k-diffusion and A1111 against runs of their own code
// (tests/data/samplers/make_reference_runs.py): the same toy denoiser, the same noise draws in
// the same order, the same sigmas; only Atelier's sampler differs.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sampling/sampler_registry.h"
#include "core/sampling/samplers.h"
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

}  // namespace

TEST_CASE("new samplers follow k-diffusion's and A1111's code step for step", "[samplers][reference]") {
  const auto runs = nlohmann::json::parse(std::ifstream(test::data_path("samplers/reference_runs.json")));
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
