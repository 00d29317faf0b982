#pragma once
// The one attention function every network uses, so LibTorch version differences and memory
// bounds live in one place.
#include <ATen/ATen.h>

namespace atelier {

// softmax(q·kᵀ / sqrt(d) [+ causal mask]) · v for q [..., Nq, d], k and v [..., Nk, d].
// The CPU computes it in cache-sized blocks (attention_in_blocks); GPUs use LibTorch ≥ 2.0's
// scaled_dot_product_attention, or on 1.13 and under an AttentionSliceLimit bounded slices
// (attention_in_slices). No path holds the whole attention matrix.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal = false);

// One head at a time, `block_bytes` of scores at a time in one reused buffer: the softmax
// runs while the scores are still in cache, and no pages are faulted in per call.
at::Tensor attention_in_blocks(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
                               int64_t block_bytes);
// All heads at once, in slices of query rows of at most `slice_bytes` of scores: few large
// kernels, as GPUs prefer.
at::Tensor attention_in_slices(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
                               int64_t slice_bytes);

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
