// The pool streamed weights are read into (low-memory mode): a block comes back once nothing
// but the pool holds it, and only free blocks are let go.
#include <catch2/catch.hpp>

#include "core/io/tensor_source.h"
#include "core/models/layers.h"
#include "core/models/weight_pool.h"
#include "core/models/weight_stream.h"

using namespace atelier;

TEST_CASE("a block is taken again only once nothing else holds it", "[models][weight-pool]") {
  WeightPool pool;
  const auto options = at::TensorOptions().dtype(at::kFloat);
  auto first = pool.take({4, 6}, options);
  CHECK(first.sizes() == at::IntArrayRef{4, 6});
  CHECK(first.scalar_type() == at::kFloat);
  const void* memory = first.data_ptr();
  auto second = pool.take({4, 6}, options);
  CHECK(second.data_ptr() != memory);  // the first is still held

  first.reset();
  auto again = pool.take({2, 12}, options);  // the same element count, another shape
  CHECK(again.data_ptr() == memory);
  CHECK(again.sizes() == at::IntArrayRef{2, 12});
  CHECK(pool.take({24}, options.dtype(at::kHalf)).data_ptr() != memory);  // another dtype
  CHECK(pool.bytes_held() == 24 * 4 * 2 + 24 * 2);
}

TEST_CASE("letting go frees the free blocks and keeps those in use", "[models][weight-pool]") {
  WeightPool pool;
  const auto options = at::TensorOptions().dtype(at::kFloat);
  auto held = pool.take({1000}, options);
  held.fill_(3);
  pool.take({2000}, options);  // let go of at once
  CHECK(pool.bytes_held() == 3000 * 4);
  pool.let_go_of_free_blocks();
  CHECK(pool.bytes_held() == 1000 * 4);
  CHECK(held.eq(3).all().item<bool>());
  held.reset();
  pool.let_go_of_free_blocks();
  CHECK(pool.bytes_held() == 0);
}

TEST_CASE("streamed weights that need converting reuse the pool's blocks from one use to the next",
          "[models][weight-pool]") {
  Linear layer(8, 4);
  const auto weight = at::randn({4, 8}).to(at::kHalf), bias = at::randn({4}).to(at::kHalf);
  const auto source = std::make_shared<InMemoryTensors>(
      "layer.safetensors", std::vector<std::pair<std::string, at::Tensor>>{{"l.weight", weight}, {"l.bias", bias}});
  const auto pool = std::make_shared<WeightPool>();
  const WeightStream stream(*layer, source, "l.", c10::kCPU, at::kFloat, pool);
  const auto loaded = [&] { return layer->named_parameters()["weight"]; };
  CHECK(loaded().numel() == 0);
  const void* memory = nullptr;
  {
    const WeightsInUse in_use(&stream, *layer);
    CHECK(loaded().equal(weight.to(at::kFloat)));
    memory = loaded().data_ptr();
  }
  CHECK(loaded().numel() == 0);
  const auto held = pool->bytes_held();
  for (int use = 0; use < 3; ++use) {
    const WeightsInUse in_use(&stream, *layer);
    CHECK(loaded().data_ptr() == memory);
    CHECK(loaded().equal(weight.to(at::kFloat)));
  }
  CHECK(pool->bytes_held() == held);
  pool->let_go_of_free_blocks();
  CHECK(pool->bytes_held() == 0);
}
