// A1111's variation seeds and "Resize seed from" (modules/rng.py ImageRNG.first, slerp).
#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.h"
#include "core/sampling/seed_variation.h"
#include "support/fixtures.h"

using namespace atelier;

namespace {

// A1111's slerp worked out one channel-column at a time in double precision.
at::Tensor slerp_by_columns(double val, const at::Tensor& low, const at::Tensor& high) {
  auto out = at::empty_like(low, at::kDouble);
  const auto l = low.to(at::kDouble), h = high.to(at::kDouble);
  for (int64_t c = 0; c < low.size(0); ++c)
    for (int64_t w = 0; w < low.size(2); ++w) {
      const auto lc = l.select(0, c).select(1, w), hc = h.select(0, c).select(1, w);
      const double cosine = (lc / lc.norm()).dot(hc / hc.norm()).item<double>();
      const double omega = std::acos(cosine);
      out.select(0, c).select(1, w).copy_(lc * (std::sin((1 - val) * omega) / std::sin(omega)) +
                                          hc * (std::sin(val * omega) / std::sin(omega)));
    }
  return out;
}

}  // namespace

TEST_CASE("without a variation or a resize the initial noise is the seed's first draw", "[noise][variation]") {
  BatchNoise varied(NoiseKind::Cpu, {42, 43}), plain(NoiseKind::Cpu, {42, 43});
  CHECK(at::equal(initial_noise(varied, {2, 4, 8, 8}, {{5, 6}, 0.0, 0, 0}), plain.randn({2, 4, 8, 8})));
  CHECK(at::equal(varied.randn({2, 4, 8, 8}), plain.randn({2, 4, 8, 8})));  // the streams go on alike
  CHECK_THROWS_AS(initial_noise(varied, {3, 4, 8, 8}, {}), InvalidArgument);
  CHECK_THROWS_AS(initial_noise(varied, {2, 4, 8, 8}, {{5}, 0.5, 0, 0}), InvalidArgument);
}

TEST_CASE("a variation slerps each image towards its variation seed's noise", "[noise][variation]") {
  for (const NoiseKind kind : {NoiseKind::Cpu, NoiseKind::Nv}) {
    INFO(to_string(kind));
    const std::vector<int64_t> shape{2, 4, 8, 8};
    for (const double strength : {0.3, 1.0}) {
      INFO("strength " << strength);
      BatchNoise noise(kind, {42, 42});
      const auto varied = initial_noise(noise, shape, {{100, 101}, strength, 0, 0});
      for (int i = 0; i < 2; ++i) {
        const auto own = make_noise(kind, 42)->randn({4, 8, 8});
        const auto other = make_noise(kind, 100 + i)->randn({4, 8, 8});
        if (strength == 1.0) CHECK(at::equal(varied[i], other));  // sin(ω)/sin(ω) is exactly 1
        CHECK(test::max_abs_diff(varied[i], slerp_by_columns(strength, own, other)) < 1e-5);
      }
      // Later draws (ancestral steps) continue the image's own seed.
      auto own_stream = make_noise(kind, 42);
      own_stream->randn({4, 8, 8});
      CHECK(at::equal(noise.randn(shape)[0], own_stream->randn({4, 8, 8})));
    }
  }
}

TEST_CASE("slerp of nearly parallel noises is A1111's linear mix", "[noise][variation]") {
  const auto low = CpuNoise(3).randn({4, 8, 8});
  const auto high = low * 1.0001;
  CHECK(at::allclose(a1111_slerp(0.3, low, high), low * 0.3 + high * 0.7));
}

TEST_CASE("resize seed from a smaller size centres that noise in the seed's full-size draw", "[noise][variation]") {
  BatchNoise noise(NoiseKind::Cpu, {7});
  const auto out = initial_noise(noise, {1, 4, 8, 8}, {{}, 0.0, 4, 6})[0];
  const auto small = CpuNoise(7).randn({4, 4, 6});
  const auto full = CpuNoise(7).randn({4, 8, 8});
  CHECK(at::equal(out.narrow(1, 2, 4).narrow(2, 1, 6), small));
  auto outside = full.clone();
  outside.narrow(1, 2, 4).narrow(2, 1, 6).copy_(small);
  CHECK(at::equal(out, outside));
}

TEST_CASE("resize seed from a larger size crops its centre as A1111's floor division does", "[noise][variation]") {
  BatchNoise noise(NoiseKind::Cpu, {7});
  // 10 × 9 into 8 × 8: rows 1..8 of the large noise, columns 1..7 into columns 0..6; column 7 keeps
  // the full-size draw (Python's (8 - 9) // 2 is -1).
  const auto out = initial_noise(noise, {1, 4, 8, 8}, {{}, 0.0, 10, 9})[0];
  const auto large = CpuNoise(7).randn({4, 10, 9});
  const auto full = CpuNoise(7).randn({4, 8, 8});
  CHECK(at::equal(out.narrow(2, 0, 7), large.narrow(1, 1, 8).narrow(2, 1, 7)));
  CHECK(at::equal(out.narrow(2, 7, 1), full.narrow(2, 7, 1)));
}

TEST_CASE("a variation of a resized seed slerps at the seed's size before centring", "[noise][variation]") {
  BatchNoise noise(NoiseKind::Cpu, {7});
  const auto out = initial_noise(noise, {1, 4, 8, 8}, {{9}, 0.5, 4, 4})[0];
  const auto mixed = a1111_slerp(0.5, CpuNoise(7).randn({4, 4, 4}), CpuNoise(9).randn({4, 4, 4}));
  CHECK(at::equal(out.narrow(1, 2, 4).narrow(2, 2, 4), mixed));
}
