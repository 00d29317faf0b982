#pragma once
// Small building blocks shared by the UNet and the VAE.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>

namespace atelier {

// GroupNorm computed in F32 whatever the weights' dtype (LDM's GroupNorm32), with an
// optional fused SiLU: the form every UNet/VAE block uses.
class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int channels, double eps, int groups = 32);
  at::Tensor forward(const at::Tensor& x, bool then_silu = false);
  // The same, written over `x` when nothing else holds its memory (else as forward): at full
  // resolution a VAE activation is hundreds of MB (SDXL at 1024², 256 channels: 1 GB), and its
  // normalised copy is what would set the decode's peak.
  at::Tensor forward_in_place(at::Tensor x, bool then_silu = false);

 private:
  int groups_;
  double eps_;
  at::Tensor weight_, bias_;
};
TORCH_MODULE(GroupNorm);

// Linear, Conv2d, LayerNorm and Embedding as LibTorch computes them, with parameters left
// uninitialised: every value comes from a checkpoint, and skipping LibTorch's random
// initialisation saves seconds per load and leaves the memory untouched until the weights
// arrive (which lets streamed weights stay out of memory altogether).
class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int in, int out, bool bias = true);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor weight_, bias_;
};
TORCH_MODULE(Linear);

class Conv2dImpl : public torch::nn::Module {
 public:
  Conv2dImpl(int in, int out, int kernel, int stride = 1, int padding = 0);
  at::Tensor forward(const at::Tensor& x);
  const at::Tensor& weight() const { return weight_; }
  int in_channels() const { return in_channels_; }

  // Moves the (loaded, F32, CPU) weight into oneDNN's blocked layout once, instead of oneDNN
  // reordering it on every call; the dense weight is emptied. See pack_convolutions_for_onednn.
  void pack_weight_for_onednn();

  // The weight in its dense layout whether or not it is packed, and its replacement (repacked
  // when packed): how networks (core/networks) change a convolution in place.
  at::Tensor dense_weight() const;
  void set_dense_weight(const at::Tensor& weight);

  // Pads circularly rather than with zeros (PyTorch's padding_mode 'circular'): the output wraps
  // around the input's edges, which A1111's "Tiling" sets for seamless textures.
  void set_circular(bool circular) { circular_ = circular; }
  bool circular() const { return circular_; }

 private:
  at::Tensor packed(const at::Tensor& weight) const;

  int in_channels_, stride_, padding_;
  bool circular_ = false;
  at::Tensor weight_, bias_;
  at::Tensor packed_weight_;  // oneDNN's layout, when packed
};
TORCH_MODULE(Conv2d);

// Packs the weights of `network`'s convolutions with at least `min_in_channels` inputs.
// Measured on 2 cores, 3×3, batch 2: 1280 channels at 8² ran at 98 GFLOP/s with per-call
// reorders and 233 packed, at 4² 31 and 164; at 640 channels and 16² 201 and 225; but 320
// channels at 64² lost 9 % to the activation conversions, so those stay dense.
void pack_convolutions_for_onednn(torch::nn::Module& network, int min_in_channels);

// A1111's Tiling (sd_hijack's apply_circular): every convolution of `network` pads circularly
// when `circular`, with zeros otherwise.
void set_circular_padding(torch::nn::Module& network, bool circular);
// Whether `network`'s convolutions pad circularly (any of them).
bool pads_circularly(torch::nn::Module& network);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int width, double eps);
  at::Tensor forward(const at::Tensor& x);

 private:
  int width_;
  double eps_;
  at::Tensor weight_, bias_;
};
TORCH_MODULE(LayerNorm);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int count, int width);
  at::Tensor forward(const at::Tensor& ids);

 private:
  at::Tensor weight_;
};
TORCH_MODULE(Embedding);

// Stores every 4-D weight channels-last (NHWC): oneDNN's convolutions run on that layout
// without reordering activations on every call, and the networks keep their activations in
// the layout of their weights.
void store_conv_weights_channels_last(torch::nn::Module& module);

// An empty module registered under `name`, to give children checkpoint-style names
// ("in_layers" holding "0" and "2").
std::shared_ptr<torch::nn::Module> add_container(torch::nn::Module& parent, const std::string& name);

}  // namespace atelier
