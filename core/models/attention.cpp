#include "core/models/attention.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace atelier {
namespace {

// Largest attention-score slice held at once on the GPU's chunked path (bytes), unless limited.
constexpr int64_t kScoreSliceBytes = int64_t{256} << 20;
// The CPU's score block: small enough to stay in cache between the two products and the
// softmax. Measured on 2 cores at 4096 tokens: 0.55 s per layer, against 2.1 s for 256 MB
// slices, which spend their time faulting in and zeroing fresh pages.
constexpr int64_t kCpuScoreBlockBytes = int64_t{4} << 20;

thread_local int64_t slice_limit = 0;  // AttentionSliceLimit's, 0 when none

void mask_future_keys(at::Tensor& scores, int64_t first_query) {
  auto mask = at::ones(scores.sizes().slice(scores.dim() - 2), scores.options().dtype(at::kBool)).triu(first_query + 1);
  scores.masked_fill_(mask, -std::numeric_limits<float>::infinity());
}

}  // namespace

at::Tensor attention_in_blocks(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
                               int64_t block_bytes) {
  const int64_t query_len = q.size(-2), key_len = k.size(-2), head_dim = q.size(-1);
  const auto q_heads = q.reshape({-1, query_len, head_dim});
  const auto k_heads = k.reshape({-1, key_len, head_dim});
  const auto v_heads = v.reshape({-1, key_len, v.size(-1)});
  const int64_t rows =
      std::clamp<int64_t>(block_bytes / (key_len * static_cast<int64_t>(q.element_size())), 1, query_len);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

  auto out = at::empty({q_heads.size(0), query_len, v.size(-1)}, q.options());
  auto block = at::empty({rows, key_len}, q.options());
  for (int64_t head = 0; head < q_heads.size(0); ++head) {
    const auto keys_t = k_heads[head].t();
    for (int64_t start = 0; start < query_len; start += rows) {
      const int64_t len = std::min(rows, query_len - start);
      auto scores = block.narrow(0, 0, len);
      at::addmm_out(scores, scores, q_heads[head].narrow(0, start, len), keys_t, /*beta=*/0, /*alpha=*/scale);
      if (causal) mask_future_keys(scores, start);
      at::_softmax_out(scores, scores, -1, /*half_to_float=*/false);
      auto out_rows = out[head].narrow(0, start, len);
      at::mm_out(out_rows, scores, v_heads[head]);
    }
  }
  auto out_shape = q.sizes().vec();
  out_shape.back() = v.size(-1);
  return out.view(out_shape);
}

at::Tensor attention_in_slices(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
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
    if (causal) mask_future_keys(scores, start);
    out.narrow(-2, start, len).copy_(at::matmul(scores.softmax(-1), v));
  }
  return out;
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal) {
  if (q.device().is_cpu())
    return attention_in_blocks(q, k, v, causal, slice_limit > 0 ? std::min(slice_limit, kCpuScoreBlockBytes)
                                                                : kCpuScoreBlockBytes);
  if (slice_limit > 0) return attention_in_slices(q, k, v, causal, slice_limit);
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, causal);
#else
  return attention_in_slices(q, k, v, causal, kScoreSliceBytes);
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
