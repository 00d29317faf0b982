#pragma once
// The ESRGAN family of upscalers as users download them, as torch::nn modules under BasicSR's
// names (loading maps the older namings onto them: upscale_model.h):
//  - RRDBNet (ESRGAN, Real-ESRGAN x4plus / x2plus, 4x-UltraSharp and the like): BasicSR's
//    basicsr/archs/rrdbnet_arch.py; x2 and x1 models see a pixel-unshuffled input.
//  - SRVGGNetCompact (Real-ESRGAN's "compact" models, realesr-general-x4v3, animevideov3):
//    Real-ESRGAN's realesrgan/archs/srvgg_arch.py, with PReLU activations.
// Both take F32 RGB [B, 3, H, W] in [0, 1] and give [B, 3, sH, sW], not clamped.
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <vector>

#include "core/models/layers.h"

namespace atelier {

// A network that enlarges an image `scale` times.
class UpscaleNetwork : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& rgb) = 0;
  virtual int scale() const = 0;
};

struct RrdbConfig {
  int in_channels = 3;   // of the image (conv_first sees in_channels * unshuffle² channels)
  int out_channels = 3;
  int features = 64;     // num_feat / nf
  int blocks = 23;       // num_block / nb
  int growth = 32;       // num_grow_ch / gc
  int upsamplings = 2;   // nearest ×2 + conv each: conv_up1, conv_up2, ...
  int unshuffle = 1;     // 1, or 2 (x2 models) or 4 (x1 models): the input is pixel-unshuffled first

  int scale() const { return (1 << upsamplings) / unshuffle; }
};

class ResidualDenseBlockImpl : public torch::nn::Module {
 public:
  ResidualDenseBlockImpl(int features, int growth);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::vector<Conv2d> convs_;  // conv1..conv5, each seeing the input and every earlier output
};
TORCH_MODULE(ResidualDenseBlock);

class RrdbImpl : public torch::nn::Module {
 public:
  RrdbImpl(int features, int growth);
  at::Tensor forward(const at::Tensor& x);

 private:
  ResidualDenseBlock rdb1_{nullptr}, rdb2_{nullptr}, rdb3_{nullptr};
};
TORCH_MODULE(Rrdb);

class RrdbNet : public UpscaleNetwork {
 public:
  explicit RrdbNet(const RrdbConfig& config);
  at::Tensor forward(const at::Tensor& rgb) override;
  int scale() const override { return config_.scale(); }
  const RrdbConfig& config() const { return config_; }

 private:
  RrdbConfig config_;
  Conv2d conv_first_{nullptr}, conv_body_{nullptr}, conv_hr_{nullptr}, conv_last_{nullptr};
  std::vector<Rrdb> body_;
  std::vector<Conv2d> conv_up_;
};

struct CompactConfig {
  int in_channels = 3;
  int out_channels = 3;
  int features = 64;  // num_feat
  int convs = 16;     // num_conv: the body's convolutions between the first and the last
  int scale = 4;      // upscale: the last convolution's pixel shuffle
};

class CompactNet : public UpscaleNetwork {
 public:
  explicit CompactNet(const CompactConfig& config);
  at::Tensor forward(const at::Tensor& rgb) override;
  int scale() const override { return config_.scale; }
  const CompactConfig& config() const { return config_; }

 private:
  CompactConfig config_;
  std::vector<Conv2d> convs_;    // body.0, body.2, ..., the last
  std::vector<at::Tensor> prelu_;  // body.1, body.3, ...: one slope per channel
};

}  // namespace atelier
