#include "core/models/open_clip_text_encoder.h"

#include "core/models/attention.h"

namespace atelier {

OpenClipAttentionImpl::OpenClipAttentionImpl(int width, int heads) : heads_(heads) {
  in_proj_weight_ = register_parameter("in_proj_weight", at::empty({3 * width, width}), /*requires_grad=*/false);
  in_proj_bias_ = register_parameter("in_proj_bias", at::empty({3 * width}), /*requires_grad=*/false);
  out_proj_ = register_module("out_proj", Linear(width, width));
}

at::Tensor OpenClipAttentionImpl::forward(const at::Tensor& x) {
  const auto qkv = at::linear(x, in_proj_weight_, in_proj_bias_).chunk(3, -1);
  auto q = split_heads(qkv[0], heads_);
  auto k = split_heads(qkv[1], heads_);
  auto v = split_heads(qkv[2], heads_);
  return out_proj_(merge_heads(attention(q, k, v, /*causal=*/true)));
}

OpenClipBlockImpl::OpenClipBlockImpl(const ClipTextConfig& config) {
  const int width = config.hidden_size;
  ln_1_ = register_module("ln_1", LayerNorm(width, config.layer_norm_eps));
  attn_ = register_module("attn", OpenClipAttention(width, config.num_heads));
  ln_2_ = register_module("ln_2", LayerNorm(width, config.layer_norm_eps));
  auto mlp = add_container(*this, "mlp");
  c_fc_ = mlp->register_module("c_fc", Linear(width, config.intermediate_size));
  c_proj_ = mlp->register_module("c_proj", Linear(config.intermediate_size, width));
}

at::Tensor OpenClipBlockImpl::forward(const at::Tensor& x) {
  auto h = x + attn_(ln_1_(x));
  return h + c_proj_(at::gelu(c_fc_(ln_2_(h))));
}

OpenClipTextEncoderImpl::OpenClipTextEncoderImpl(const ClipTextConfig& config) : TextTransformerImpl(config) {
  token_embedding_ = register_module("token_embedding", Embedding(config.vocab_size, config.hidden_size));
  positional_embedding_ = register_parameter(
      "positional_embedding", at::empty({config.max_positions, config.hidden_size}), /*requires_grad=*/false);
  auto transformer = add_container(*this, "transformer");
  resblocks_ = transformer->register_module("resblocks", torch::nn::ModuleList());
  for (int i = 0; i < config.num_layers; ++i) resblocks_->push_back(OpenClipBlock(config));
  ln_final_ = register_module("ln_final", LayerNorm(config.hidden_size, config.layer_norm_eps));
  if (config.projection_dim > 0)
    text_projection_ = register_parameter(
        "text_projection", at::empty({config.hidden_size, config.projection_dim}), /*requires_grad=*/false);
}

at::Tensor OpenClipTextEncoderImpl::token_embeddings(const at::Tensor& ids) { return token_embedding_(ids); }

at::Tensor OpenClipTextEncoderImpl::add_positions(const at::Tensor& x) {
  return x + positional_embedding_.narrow(0, 0, x.size(1)).unsqueeze(0);
}

at::Tensor OpenClipTextEncoderImpl::run_block(int index, const at::Tensor& x) {
  return resblocks_[index]->as<OpenClipBlock>()->forward(x);
}

}  // namespace atelier
