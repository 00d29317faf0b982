#pragma once
// The one attention function every network uses, so LibTorch version differences and memory
// bounds live in one place.
#include <ATen/ATen.h>

namespace atelier {

// softmax(q·kᵀ / sqrt(d) [+ causal mask]) · v for q [..., Nq, d], k and v [..., Nk, d].
// LibTorch ≥ 2.0 uses scaled_dot_product_attention; 1.13 computes the scores in slices of
// query rows so no more than a bounded slice of the attention matrix is ever held.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal = false);

// While it lives, attention on this thread holds at most `bytes` (> 0) of scores at once, on
// every LibTorch version (low-memory mode); 0 changes nothing.
class AttentionSliceLimit {
 public:
  explicit AttentionSliceLimit(int64_t bytes);
  ~AttentionSliceLimit();
  AttentionSliceLimit(const AttentionSliceLimit&) = delete;
  AttentionSliceLimit& operator=(const AttentionSliceLimit&) = delete;

 private:
  int64_t previous_;
};

// Splits [B, N, heads·d] into [B, heads, N, d] and back.
at::Tensor split_heads(const at::Tensor& x, int64_t heads);
at::Tensor merge_heads(const at::Tensor& x);

}  // namespace atelier
