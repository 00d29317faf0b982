#pragma once
// OpenCLIP's text tower (SD2.x's ViT-H, SDXL's ViT-bigG), named as open_clip's CLIP module
// (cond_stage_model.model.*, conditioner.embedders.1.model.*): token_embedding,
// positional_embedding, transformer.resblocks.N with a fused q|k|v in_proj, exact GELU,
// ln_final and text_projection (applied as x @ text_projection, not as a Linear).
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "core/models/layers.h"
#include "core/models/text_transformer.h"

namespace atelier {

// torch.nn.MultiheadAttention's parameters: in_proj_weight [3W, W] = cat(W_q, W_k, W_v).
class OpenClipAttentionImpl : public torch::nn::Module {
 public:
  OpenClipAttentionImpl(int width, int heads);
  at::Tensor forward(const at::Tensor& x);  // causal self-attention

 private:
  int heads_;
  at::Tensor in_proj_weight_, in_proj_bias_;
  Linear out_proj_{nullptr};
};
TORCH_MODULE(OpenClipAttention);

class OpenClipBlockImpl : public torch::nn::Module {
 public:
  explicit OpenClipBlockImpl(const ClipTextConfig& config);
  at::Tensor forward(const at::Tensor& x);

 private:
  LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  OpenClipAttention attn_{nullptr};
  Linear c_fc_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(OpenClipBlock);

class OpenClipTextEncoderImpl : public TextTransformerImpl {
 public:
  explicit OpenClipTextEncoderImpl(const ClipTextConfig& config);
  at::Tensor final_norm(const at::Tensor& x) override { return ln_final_(x); }
  std::string blocks_prefix() const override { return "transformer.resblocks."; }

 private:
  at::Tensor token_embeddings(const at::Tensor& ids) override;
  at::Tensor add_positions(const at::Tensor& x) override;
  at::Tensor run_block(int index, const at::Tensor& x) override;
  torch::nn::Module& block(int index) override { return *resblocks_[index]; }
  at::Tensor projection() const override { return text_projection_; }

  Embedding token_embedding_{nullptr};
  at::Tensor positional_embedding_, text_projection_;
  torch::nn::ModuleList resblocks_{nullptr};
  LayerNorm ln_final_{nullptr};
};
TORCH_MODULE(OpenClipTextEncoder);

}  // namespace atelier
