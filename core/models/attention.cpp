#include "core/models/attention.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>

namespace atelier {
namespace {

// Largest attention-score slice held at once on the chunked path (bytes), unless limited.
constexpr int64_t kScoreSliceBytes = int64_t{256} << 20;

thread_local int64_t slice_limit = 0;  // AttentionSliceLimit's, 0 when none

at::Tensor chunked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
                             int64_t slice_bytes) {
  const int64_t query_len = q.size(-2);
  const int64_t key_len = k.size(-2);
  const int64_t batch_heads = q.numel() / (query_len * q.size(-1));
  const int64_t row_bytes = batch_heads * key_len * static_cast<int64_t>(q.element_size());
  const int64_t rows = std::clamp<int64_t>(slice_bytes / std::max<int64_t>(row_bytes, 1), 1, query_len);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const auto k_t = k.transpose(-1, -2);

  auto out_shape = q.sizes().vec();
  out_shape.back() = v.size(-1);
  auto out = at::empty(out_shape, q.options());
  for (int64_t start = 0; start < query_len; start += rows) {
    const int64_t len = std::min(rows, query_len - start);
    auto scores = at::matmul(q.narrow(-2, start, len), k_t).mul_(scale);
    if (causal) {
      auto mask = at::ones({len, key_len}, q.options().dtype(at::kBool)).triu(start + 1);
      scores.masked_fill_(mask, -std::numeric_limits<float>::infinity());
    }
    out.narrow(-2, start, len).copy_(at::matmul(scores.softmax(-1), v));
  }
  return out;
}

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal) {
  if (slice_limit > 0) return chunked_attention(q, k, v, causal, slice_limit);
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, causal);
#else
  return chunked_attention(q, k, v, causal, kScoreSliceBytes);
#endif
}

AttentionSliceLimit::AttentionSliceLimit(int64_t bytes) : previous_(slice_limit) {
  if (bytes > 0) slice_limit = bytes;
}

AttentionSliceLimit::~AttentionSliceLimit() { slice_limit = previous_; }

at::Tensor split_heads(const at::Tensor& x, int64_t heads) {
  const auto b = x.size(0), n = x.size(1), width = x.size(2);
  return x.view({b, n, heads, width / heads}).transpose(1, 2);
}

at::Tensor merge_heads(const at::Tensor& x) {
  const auto b = x.size(0), heads = x.size(1), n = x.size(2), d = x.size(3);
  return x.transpose(1, 2).reshape({b, n, heads * d});
}

}  // namespace atelier
