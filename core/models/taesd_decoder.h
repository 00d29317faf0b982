#pragma once
// TAESD's decoder (madebyollin/taesd), the tiny autoencoder A1111 and ComfyUI use for live
// previews, as they ship it: taesd_decoder for SD1/SD2 latents, taesdxl_decoder for SDXL's, in
// .pth (read by the restricted unpickler) or .safetensors. The reference network is an
// nn.Sequential whose tensors are named by layer index:
//   0 Clamp (3 tanh(x / 3)), 1 conv 3×3, 2 ReLU,
//   3-5 Blocks, 6 Upsample ×2, 7 conv 3×3 without bias,  (three times: 3-7, 8-12, 13-17)
//   18 Block, 19 conv 3×3 to RGB,
// a Block being relu(conv(relu(conv(relu(conv(x))))) + skip(x)) under `N.conv.{0,2,4}` with a
// 1×1 `N.skip` only where its widths differ. Widths and the latent channels come from the
// shapes, so other TAESD sizes load too.
#include <ATen/ATen.h>

#include <vector>

#include "core/io/tensor_source.h"

namespace atelier {

class TaesdDecoder {
 public:
  // From a decoder file's tensors, with or without a "decoder." prefix. FormatError naming
  // the file and tensor when one is missing or misshapen.
  explicit TaesdDecoder(const TensorSource& source);

  // A latent as the sampler holds it (scaled, [B, C, h, w]) -> RGB [B, 3, 8h, 8w] in about
  // [0, 1], not clamped; on the decoder's device and dtype.
  at::Tensor decode(const at::Tensor& latent) const;

  // Moves the weights (F32 on the CPU when loaded).
  void to(at::Device device, at::ScalarType dtype);

  int latent_channels() const { return static_cast<int>(first_.weight.size(1)); }

 private:
  struct Conv {
    at::Tensor weight, bias;  // bias undefined for the convolutions after an upsampling
    at::Tensor operator()(const at::Tensor& x) const;
  };
  struct Block {
    Conv conv0, conv2, conv4;
    Conv skip;  // undefined weight: identity
    at::Tensor operator()(const at::Tensor& x) const;
  };
  struct Stage {  // three Blocks, then ×2 nearest and a convolution
    std::vector<Block> blocks;
    Conv after_upsample;
  };

  Conv first_;
  std::vector<Stage> stages_;
  Block last_block_;
  Conv to_rgb_;
};

}  // namespace atelier
