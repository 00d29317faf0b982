#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/sampling/noise.h"
#include "support/fixtures.h"

using namespace atelier;

namespace {

std::vector<std::int64_t> shape_of(const nlohmann::json& json) {
  return json.get<std::vector<std::int64_t>>();
}

}  // namespace

TEST_CASE("CpuNoise draws PyTorch's CPU generator's numbers, continuing the stream", "[noise]") {
  for (const auto& rng_case : test::reference_json()["rng"]["cases"]) {
    const auto seed = rng_case["seed"].get<std::uint64_t>();
    const auto shape = shape_of(rng_case["shape"]);
    INFO("seed " << seed << ", shape " << c10::IntArrayRef(shape));
    CpuNoise noise(seed);
    const at::Tensor first = noise.randn(shape);
    const at::Tensor second = noise.randn(shape);
    CHECK(first.scalar_type() == at::kFloat);
    CHECK(first.sizes() == at::IntArrayRef(shape));
    CHECK(test::max_abs_diff(first, test::reference(rng_case["first"].get<std::string>())) <= 1e-6);
    CHECK(test::max_abs_diff(second, test::reference(rng_case["second"].get<std::string>())) <= 1e-6);
  }
}

TEST_CASE("NvNoise draws CUDA's Philox numbers, one subsequence per draw", "[noise]") {
  std::ifstream in(test::data_path("sd1-tiny/philox.json"));
  const auto philox = nlohmann::json::parse(in);
  for (const auto& nv_case : philox["cases"]) {
    const auto seed = nv_case["seed"].get<std::uint64_t>();
    const auto n = nv_case["n"].get<std::int64_t>();
    INFO("seed " << seed << ", n " << n);
    NvNoise noise(seed);
    const at::Tensor first = noise.randn({n});
    const at::Tensor second = noise.randn({n});
    CHECK(test::max_abs_diff(first, at::tensor(nv_case["first"].get<std::vector<float>>())) <= 1e-6);
    CHECK(test::max_abs_diff(second, at::tensor(nv_case["second"].get<std::vector<float>>())) <= 1e-6);
  }
}

TEST_CASE("NvNoise keeps the shape it is asked for", "[noise]") {
  NvNoise flat(0), shaped(0);
  const at::Tensor a = flat.randn({12});
  const at::Tensor b = shaped.randn({3, 4});
  CHECK(b.sizes() == at::IntArrayRef({3, 4}));
  CHECK(at::equal(a, b.reshape(-1)));
}

TEST_CASE("BatchNoise gives each image its own seed's stream", "[noise]") {
  BatchNoise batch(NoiseKind::Cpu, {42, 7});
  CpuNoise first(42), second(7);
  for (int draw = 0; draw < 2; ++draw) {
    const at::Tensor both = batch.randn({2, 4, 8, 8});
    CHECK(at::equal(both[0], first.randn({4, 8, 8})));
    CHECK(at::equal(both[1], second.randn({4, 8, 8})));
  }
  CHECK_THROWS_AS(batch.randn({3, 4, 8, 8}), InvalidArgument);
}

TEST_CASE("Noise kinds have names", "[noise]") {
  CHECK(parse_noise_kind("cpu") == NoiseKind::Cpu);
  CHECK(parse_noise_kind("NV") == NoiseKind::Nv);
  CHECK(to_string(NoiseKind::Nv) == "nv");
  CHECK(dynamic_cast<NvNoise*>(make_noise(NoiseKind::Nv, 1).get()) != nullptr);
  CHECK_THROWS_WITH(parse_noise_kind("gpu"), Catch::Contains("cpu, nv"));
}
