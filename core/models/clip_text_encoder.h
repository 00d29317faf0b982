#pragma once
// OpenAI's CLIP text transformer (SD1.x, SDXL's first encoder), named as Hugging Face's
// CLIPTextModel (cond_stage_model.transformer.text_model.*): pre-LN blocks, causal mask, quick_gelu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <vector>

#include "core/models/layers.h"
#include "core/models/model_config.h"
#include "core/models/text_transformer.h"

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

class ClipTextEncoderImpl : public TextTransformerImpl {
 public:
  explicit ClipTextEncoderImpl(const ClipTextConfig& config);
  at::Tensor final_norm(const at::Tensor& x) override { return final_layer_norm_(x); }
  std::string blocks_prefix() const override { return "encoder.layers."; }

 private:
  at::Tensor token_embeddings(const at::Tensor& ids) override;
  at::Tensor add_positions(const at::Tensor& x) override;
  at::Tensor run_block(int index, const at::Tensor& x) override;
  torch::nn::Module& block(int index) override { return *layers_[index]; }

  Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  LayerNorm final_layer_norm_{nullptr};
};
TORCH_MODULE(ClipTextEncoder);

}  // namespace atelier
