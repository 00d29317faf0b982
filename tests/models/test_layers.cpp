// The shared building blocks against their definitions.
#include <catch2/catch.hpp>

#include "core/models/layers.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

// GroupNorm by its definition, in double: per image and group, (x - mean) / sqrt(var + eps),
// then the per-channel scale and shift.
at::Tensor group_norm_by_definition(const at::Tensor& x, int groups, const at::Tensor& weight, const at::Tensor& bias,
                                    double eps) {
  const auto grouped = x.to(at::kDouble).reshape({x.size(0), groups, -1});
  const auto mean = grouped.mean(-1, true);
  const auto variance = (grouped - mean).pow(2).mean(-1, true);
  const auto normed = ((grouped - mean) / (variance + eps).sqrt()).reshape(x.sizes());
  return (normed * weight.to(at::kDouble).view({1, -1, 1, 1}) + bias.to(at::kDouble).view({1, -1, 1, 1})).to(at::kFloat);
}

}  // namespace

TEST_CASE("GroupNorm in place is GroupNorm, over the input's own memory when nothing else holds it", "[models][layers]") {
  at::manual_seed(5);
  GroupNorm norm(64, 1e-6);
  const auto weight = at::randn({64}), bias = at::randn({64});
  {
    at::NoGradGuard no_grad;
    norm->named_parameters()["weight"].copy_(weight);
    norm->named_parameters()["bias"].copy_(bias);
  }
  at::InferenceMode inference;
  for (const auto layout : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
    INFO((layout == at::MemoryFormat::ChannelsLast ? "channels last" : "contiguous"));
    const auto input = (at::randn({2, 64, 12, 10}) * 3 + 1).contiguous(layout);
    const auto expected = group_norm_by_definition(input, 32, weight, bias, 1e-6);
    CHECK(relative_error(norm(input), expected) < 1e-6);

    at::Tensor owned = input.clone();
    const void* memory = owned.data_ptr();
    const auto in_place = norm->forward_in_place(std::move(owned), /*then_silu=*/true);
    CHECK(in_place.data_ptr() == memory);
    CHECK(relative_error(in_place, at::silu(expected)) < 1e-6);
    CHECK(relative_error(in_place, norm(input, /*then_silu=*/true)) < 1e-6);

    // Held elsewhere as well: normalised into new memory, the input left as it was.
    const at::Tensor shared = input.clone();
    const auto copied = norm->forward_in_place(shared);
    CHECK(copied.data_ptr() != shared.data_ptr());
    CHECK(at::equal(shared, input));
    CHECK(relative_error(copied, expected) < 1e-6);
  }
}
