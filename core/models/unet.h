#pragma once
// LDM's and sgm's UNetModel (openaimodel.py) with spatial transformers, as SD1.x, SD2.x and
// SDXL use it. Module and parameter names are those under `model.diffusion_model.` in a
// single-file checkpoint.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>

#include <functional>
#include <string>
#include <vector>

#include "core/models/layers.h"
#include "core/models/model_config.h"
#include "core/models/weight_stream.h"

namespace atelier {

// Sinusoidal timestep embedding [B, dim] for (possibly fractional) timesteps [B], cos first.
at::Tensor timestep_embedding(const at::Tensor& timesteps, int dim);

class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int in, int out, int emb_dim);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& emb);

 private:
  GroupNorm in_norm_{nullptr}, out_norm_{nullptr};
  Conv2d in_conv_{nullptr}, out_conv_{nullptr}, skip_{nullptr};
  Linear emb_proj_{nullptr};
};
TORCH_MODULE(ResBlock);

class CrossAttentionImpl : public torch::nn::Module {
 public:
  CrossAttentionImpl(int query_dim, int context_dim, int heads, int head_dim);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

 private:
  int heads_;
  Linear to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr}, to_out_{nullptr};
};
TORCH_MODULE(CrossAttention);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int dim, int context_dim, int heads, int head_dim);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

 private:
  CrossAttention attn1_{nullptr}, attn2_{nullptr};
  LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  Linear ff_in_{nullptr}, ff_out_{nullptr};
};
TORCH_MODULE(TransformerBlock);

class SpatialTransformerImpl : public torch::nn::Module {
 public:
  SpatialTransformerImpl(int channels, int depth, const UNetConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

 private:
  GroupNorm norm_{nullptr};
  torch::nn::AnyModule proj_in_, proj_out_;  // 1x1 conv (SD1) or Linear (SD2)
  bool linear_projection_;
  torch::nn::ModuleList blocks_{nullptr};
};
TORCH_MODULE(SpatialTransformer);

// One entry of input_blocks / middle_block / output_blocks: a sequence of ResBlock,
// SpatialTransformer, Downsample (conv "op") or Upsample (conv "conv") named "0", "1", ...
class UNetStageImpl : public torch::nn::Module {
 public:
  void add_res_block(int in, int out, int emb_dim);
  void add_transformer(int channels, int depth, const UNetConfig& config);
  void add_downsample(int channels);
  void add_upsample(int channels);
  at::Tensor forward(at::Tensor x, const at::Tensor& emb, const at::Tensor& context);

 private:
  using Layer = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& emb, const at::Tensor& context)>;
  std::string next_name() const { return std::to_string(layers_.size()); }
  std::vector<Layer> layers_;
};
TORCH_MODULE(UNetStage);

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetConfig& config);

  // Observes intermediate outputs by name ("input_blocks.3", "middle_block", ...), for parity tests.
  using FeatureObserver = std::function<void(const std::string& name, const at::Tensor& value)>;

  // The model output (ε or v) for latents x [B, C, H, W], timesteps [B] (any numeric type),
  // context [B, T, context_dim] and, for SDXL (adm_in_channels > 0), the vector y [B, adm].
  // Any latent size: where a skip connection is smaller than the upsampled features (a size
  // the downsampling does not divide), the features are resized to it (nearest), as A1111 does.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timesteps, const at::Tensor& context,
                     const at::Tensor& y = {}, const FeatureObserver& observe = {});

  const UNetConfig& config() const { return config_; }

  // Low-memory mode: each stage reads its weights from `stream` when it runs (null: resident).
  void stream_weights(std::shared_ptr<const WeightStream> stream) { stream_ = std::move(stream); }
  const WeightStream* weight_stream() const { return stream_.get(); }
  // Low-memory mode: each stage runs on the batch in `parts` slices, one after the other, so
  // the activations of one slice are live at a time while the weights are read in once.
  void set_batch_parts(int parts) { batch_parts_ = parts; }

 private:
  UNetConfig config_;
  std::shared_ptr<const WeightStream> stream_;
  int batch_parts_ = 1;
  std::shared_ptr<torch::nn::Module> time_embed_, label_emb_, out_;
  Linear time_embed_in_{nullptr}, time_embed_out_{nullptr};
  Linear label_emb_in_{nullptr}, label_emb_out_{nullptr};  // label_emb.0.0 / .0.2 (SDXL)
  Conv2d stem_{nullptr};  // input_blocks.0.0
  torch::nn::ModuleList input_blocks_{nullptr}, output_blocks_{nullptr};
  UNetStage middle_block_{nullptr};
  GroupNorm out_norm_{nullptr};
  Conv2d out_conv_{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace atelier
