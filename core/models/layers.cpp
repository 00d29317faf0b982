#include "core/models/layers.h"

#include <ATen/core/grad_mode.h>

namespace atelier {

GroupNormImpl::GroupNormImpl(int channels, double eps, int groups) : groups_(groups), eps_(eps) {
  weight_ = register_parameter("weight", at::ones({channels}), /*requires_grad=*/false);
  bias_ = register_parameter("bias", at::zeros({channels}), /*requires_grad=*/false);
}

at::Tensor GroupNormImpl::forward(const at::Tensor& x, bool then_silu) {
  auto y = at::group_norm(x.to(at::kFloat), groups_, weight_.to(at::kFloat), bias_.to(at::kFloat), eps_);
  if (then_silu) y = at::silu_(y);
  return y.to(x.scalar_type());
}

torch::nn::Conv2d conv2d(int in, int out, int kernel, int stride, int padding) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding));
}

void store_conv_weights_channels_last(torch::nn::Module& module) {
  at::NoGradGuard no_grad;
  for (auto& parameter : module.parameters())
    if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
}

std::shared_ptr<torch::nn::Module> add_container(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

}  // namespace atelier
