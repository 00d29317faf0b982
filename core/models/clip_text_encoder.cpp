#include "core/models/clip_text_encoder.h"

#include "core/models/attention.h"

namespace atelier {
namespace {

at::Tensor quick_gelu(const at::Tensor& x) { return x * at::sigmoid(1.702 * x); }

LayerNorm layer_norm(const ClipTextConfig& config) {
  return LayerNorm(config.hidden_size, config.layer_norm_eps);
}

}  // namespace

ClipAttentionImpl::ClipAttentionImpl(int hidden, int heads) : heads_(heads) {
  q_proj_ = register_module("q_proj", Linear(hidden, hidden));
  k_proj_ = register_module("k_proj", Linear(hidden, hidden));
  v_proj_ = register_module("v_proj", Linear(hidden, hidden));
  out_proj_ = register_module("out_proj", Linear(hidden, hidden));
}

at::Tensor ClipAttentionImpl::forward(const at::Tensor& x) {
  auto q = split_heads(q_proj_(x), heads_);
  auto k = split_heads(k_proj_(x), heads_);
  auto v = split_heads(v_proj_(x), heads_);
  return out_proj_(merge_heads(attention(q, k, v, /*causal=*/true)));
}

ClipMlpImpl::ClipMlpImpl(int hidden, int intermediate) {
  fc1_ = register_module("fc1", Linear(hidden, intermediate));
  fc2_ = register_module("fc2", Linear(intermediate, hidden));
}

at::Tensor ClipMlpImpl::forward(const at::Tensor& x) { return fc2_(quick_gelu(fc1_(x))); }

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& config) {
  self_attn_ = register_module("self_attn", ClipAttention(config.hidden_size, config.num_heads));
  layer_norm1_ = register_module("layer_norm1", layer_norm(config));
  mlp_ = register_module("mlp", ClipMlp(config.hidden_size, config.intermediate_size));
  layer_norm2_ = register_module("layer_norm2", layer_norm(config));
}

at::Tensor ClipEncoderLayerImpl::forward(const at::Tensor& x) {
  auto h = x + self_attn_(layer_norm1_(x));
  return h + mlp_(layer_norm2_(h));
}

ClipTextEncoderImpl::ClipTextEncoderImpl(const ClipTextConfig& config) : TextTransformerImpl(config) {
  // Module names mirror the checkpoint: embeddings.*, encoder.layers.N.*, final_layer_norm.
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  token_embedding_ = embeddings->register_module(
      "token_embedding", Embedding(config.vocab_size, config.hidden_size));
  position_embedding_ = embeddings->register_module(
      "position_embedding", Embedding(config.max_positions, config.hidden_size));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  layers_ = encoder->register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < config.num_layers; ++i) layers_->push_back(ClipEncoderLayer(config));
  final_layer_norm_ = register_module("final_layer_norm", layer_norm(config));
}

at::Tensor ClipTextEncoderImpl::token_embeddings(const at::Tensor& ids) { return token_embedding_(ids); }

at::Tensor ClipTextEncoderImpl::add_positions(const at::Tensor& x) {
  auto positions = at::arange(x.size(1), at::TensorOptions(x.device()).dtype(at::kLong));
  return x + position_embedding_(positions).unsqueeze(0);
}

at::Tensor ClipTextEncoderImpl::run_block(int index, const at::Tensor& x) {
  return layers_[index]->as<ClipEncoderLayer>()->forward(x);
}

}  // namespace atelier
