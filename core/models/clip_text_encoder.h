#pragma once
// The CLIP text transformer of SD1.x, named as Hugging Face's CLIPTextModel
// (cond_stage_model.transformer.text_model.*): pre-LN blocks, causal mask, quick_gelu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <vector>

#include "core/models/layers.h"
#include "core/models/model_config.h"

namespace atelier {

class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int hidden, int heads);
  at::Tensor forward(const at::Tensor& x);

 private:
  int heads_;
  Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, out_proj_{nullptr};
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int hidden, int intermediate);
  at::Tensor forward(const at::Tensor& x);

 private:
  Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig& config);
  at::Tensor forward(const at::Tensor& x);

 private:
  LayerNorm layer_norm1_{nullptr}, layer_norm2_{nullptr};
  ClipAttention self_attn_{nullptr};
  ClipMlp mlp_{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipTextEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipTextEncoderImpl(const ClipTextConfig& config);

  // Hidden states [B, T, hidden] for token ids [B, T]: with clip_skip N (A1111's "Clip skip"),
  // the output of the layer N-1 before the last, then the final layer norm.
  at::Tensor forward(const at::Tensor& ids, int clip_skip = 1);
  // The embedding output and every layer's output, before the final layer norm
  // (Hugging Face's `hidden_states`).
  std::vector<at::Tensor> hidden_states(const at::Tensor& ids);

  const ClipTextConfig& config() const { return config_; }

 private:
  at::Tensor embed(const at::Tensor& ids);

  ClipTextConfig config_;
  Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  LayerNorm final_layer_norm_{nullptr};
};
TORCH_MODULE(ClipTextEncoder);

}  // namespace atelier
