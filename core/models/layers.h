#pragma once
// Small building blocks shared by the UNet and the VAE.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <string>

namespace atelier {

// GroupNorm computed in F32 whatever the weights' dtype (LDM's GroupNorm32), with an
// optional fused SiLU: the form every UNet/VAE block uses.
class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int channels, double eps, int groups = 32);
  at::Tensor forward(const at::Tensor& x, bool then_silu = false);

 private:
  int groups_;
  double eps_;
  at::Tensor weight_, bias_;
};
TORCH_MODULE(GroupNorm);

torch::nn::Conv2d conv2d(int in, int out, int kernel, int stride = 1, int padding = 0);

// Stores every 4-D weight channels-last (NHWC): oneDNN's convolutions run on that layout
// without reordering activations on every call, and the networks keep their activations in
// the layout of their weights.
void store_conv_weights_channels_last(torch::nn::Module& module);

// An empty module registered under `name`, to give children checkpoint-style names
// ("in_layers" holding "0" and "2").
std::shared_ptr<torch::nn::Module> add_container(torch::nn::Module& parent, const std::string& name);

}  // namespace atelier
