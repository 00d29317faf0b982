// The attention function against its definition, on every path it can take.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/models/attention.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

at::Tensor attention_by_definition(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal) {
  auto scores = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(-1, -2)) / std::sqrt(double(q.size(-1)));
  if (causal) {
    auto mask = at::ones({q.size(-2), k.size(-2)}, at::kBool).triu(1);
    scores.masked_fill_(mask, -std::numeric_limits<double>::infinity());
  }
  return at::matmul(scores.softmax(-1), v.to(at::kDouble)).to(at::kFloat);
}

}  // namespace

TEST_CASE("attention matches softmax(q·kᵀ/√d)·v, whole and in slices", "[models][attention]") {
  const bool causal = GENERATE(false, true);
  INFO("causal " << causal);
  at::manual_seed(11);
  const int64_t keys = causal ? 50 : 77;  // self-attention with a mask, or cross-attention
  const auto q = at::randn({2, 3, 50, 16});
  const auto k = at::randn({2, 3, keys, 16});
  const auto v = at::randn({2, 3, keys, 8});
  const auto expected = attention_by_definition(q, k, v, causal);
  CHECK(relative_error(attention(q, k, v, causal), expected) < 1e-5);
  // Blocks of 3 rows of one head and slices of 2 rows of all heads leave an uneven last part.
  CHECK(relative_error(attention_in_blocks(q, k, v, causal, 3 * keys * 4), expected) < 1e-5);
  CHECK(relative_error(attention_in_slices(q, k, v, causal, 2 * 6 * keys * 4), expected) < 1e-5);
  CHECK(relative_error(attention_in_slices(q, k, v, causal, 1 << 30), expected) < 1e-5);
  const AttentionSliceLimit limit(5000);
  CHECK(relative_error(attention(q, k, v, causal), expected) < 1e-5);
}
