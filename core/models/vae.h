#pragma once
// LDM's AutoencoderKL (ldm/modules/diffusionmodules/model.py Encoder/Decoder), named as
// `first_stage_model.*` in a single-file checkpoint.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <functional>
#include <string>
#include <vector>

#include "core/models/layers.h"
#include "core/models/model_config.h"

namespace atelier {

class VaeResBlockImpl : public torch::nn::Module {
 public:
  VaeResBlockImpl(int in, int out);
  // Takes its input over (std::move it in): what nothing else holds is normalised in place.
  at::Tensor forward(at::Tensor x);

 private:
  GroupNorm norm1_{nullptr}, norm2_{nullptr};
  Conv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};
};
TORCH_MODULE(VaeResBlock);

// Single-head self-attention over all positions, with 1x1-conv projections.
class VaeAttentionImpl : public torch::nn::Module {
 public:
  explicit VaeAttentionImpl(int channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  GroupNorm norm_{nullptr};
  Conv2d q_{nullptr}, k_{nullptr}, v_{nullptr}, proj_out_{nullptr};
};
TORCH_MODULE(VaeAttention);

// block_1, attn_1, block_2 at the lowest resolution.
class VaeMiddleImpl : public torch::nn::Module {
 public:
  explicit VaeMiddleImpl(int channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  VaeResBlock block_1_{nullptr}, block_2_{nullptr};
  VaeAttention attn_1_{nullptr};
};
TORCH_MODULE(VaeMiddle);

// One resolution level: ResBlocks (each optionally followed by attention), then a resampler.
class VaeLevelImpl : public torch::nn::Module {
 public:
  at::Tensor forward(at::Tensor x);
  std::vector<VaeResBlock> blocks;
  std::vector<VaeAttention> attentions;  // empty, or one per block
  std::function<at::Tensor(at::Tensor)> resample;  // identity when absent; takes its input over
};
TORCH_MODULE(VaeLevel);

class VaeEncoderImpl : public torch::nn::Module {
 public:
  explicit VaeEncoderImpl(const VaeConfig& config);
  at::Tensor forward(const at::Tensor& image);  // [B, 2·z, H/f, W/f]

 private:
  Conv2d conv_in_{nullptr}, conv_out_{nullptr};
  std::vector<VaeLevel> levels_;
  VaeMiddle mid_{nullptr};
  GroupNorm norm_out_{nullptr};
};
TORCH_MODULE(VaeEncoder);

class VaeDecoderImpl : public torch::nn::Module {
 public:
  explicit VaeDecoderImpl(const VaeConfig& config);
  at::Tensor forward(const at::Tensor& z);

 private:
  Conv2d conv_in_{nullptr}, conv_out_{nullptr};
  std::vector<VaeLevel> levels_;  // by level index; applied from the last to the first
  VaeMiddle mid_{nullptr};
  GroupNorm norm_out_{nullptr};
};
TORCH_MODULE(VaeDecoder);

struct Posterior {
  at::Tensor mean;
  at::Tensor logvar;  // clamped to [-30, 20]
};

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const VaeConfig& config);

  // Image in [-1, 1], [B, 3, H, W] -> the latent posterior (unscaled).
  Posterior encode(const at::Tensor& image);
  // Unscaled latent -> image in about [-1, 1].
  at::Tensor decode(const at::Tensor& latent);

  const VaeConfig& config() const { return config_; }

 private:
  VaeConfig config_;
  VaeEncoder encoder_{nullptr};
  VaeDecoder decoder_{nullptr};
  Conv2d quant_conv_{nullptr}, post_quant_conv_{nullptr};
};
TORCH_MODULE(AutoencoderKL);

}  // namespace atelier
