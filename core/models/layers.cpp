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

at::Tensor GroupNormImpl::forward_in_place(at::Tensor x, bool then_silu) {
  const bool sole_owner = x.use_count() == 1 && x.storage().use_count() == 1;
  if (!sole_owner || x.scalar_type() != at::kFloat || x.dim() != 4) return forward(x, then_silu);
  const int64_t channels = x.size(1), per_group = channels / groups_;
  const auto grouped = x.unflatten(1, {groups_, per_group});  // [N, G, C/G, H, W], a view in any layout
  const auto [variance, mean] = at::var_mean(grouped, {2, 3, 4}, /*unbiased=*/false, /*keepdim=*/true);
  const auto scale = (variance + eps_).rsqrt() * weight_.to(at::kFloat).view({1, groups_, per_group, 1, 1});
  const auto shift = bias_.to(at::kFloat).view({1, groups_, per_group, 1, 1}) - mean * scale;
  grouped.mul_(scale).add_(shift);
  if (then_silu) at::silu_(x);
  return x;
}

namespace {

at::Tensor uninitialised(torch::nn::Module& module, const std::string& name, at::IntArrayRef shape) {
  return module.register_parameter(name, at::empty(shape), /*requires_grad=*/false);
}

}  // namespace

LinearImpl::LinearImpl(int in, int out, bool bias)
    : weight_(uninitialised(*this, "weight", {out, in})) {
  if (bias) bias_ = uninitialised(*this, "bias", {out});
}

at::Tensor LinearImpl::forward(const at::Tensor& x) { return at::linear(x, weight_, bias_); }

Conv2dImpl::Conv2dImpl(int in, int out, int kernel, int stride, int padding)
    : in_channels_(in),
      stride_(stride),
      padding_(padding),
      weight_(uninitialised(*this, "weight", {out, in, kernel, kernel})),
      bias_(uninitialised(*this, "bias", {out})) {}

at::Tensor Conv2dImpl::forward(const at::Tensor& x) {
  const bool wrap = circular_ && padding_ > 0;
  const at::Tensor input = wrap ? at::_pad_circular(x, {padding_, padding_, padding_, padding_}) : x;
  const int64_t padding = wrap ? 0 : padding_;
  if (packed_weight_.defined())
    return at::mkldnn_convolution(input.to_mkldnn(), packed_weight_, bias_, {padding, padding}, {stride_, stride_},
                                  /*dilation=*/{1, 1}, /*groups=*/1)
        .to_dense();
  return at::conv2d(input, weight_, bias_, stride_, padding);
}

void Conv2dImpl::pack_weight_for_onednn() {
  packed_weight_ = packed(weight_);
  weight_.set_data(at::empty({0}, weight_.options()));
}

at::Tensor Conv2dImpl::packed(const at::Tensor& weight) const {
  return at::mkldnn_reorder_conv2d_weight(weight.contiguous().to_mkldnn(), {padding_, padding_}, {stride_, stride_},
                                          /*dilation=*/{1, 1}, /*groups=*/1);
}

at::Tensor Conv2dImpl::dense_weight() const {
  return packed_weight_.defined() ? packed_weight_.to_dense() : weight_;
}

void Conv2dImpl::set_dense_weight(const at::Tensor& weight) {
  if (!packed_weight_.defined()) {
    weight_.copy_(weight);
    return;
  }
  packed_weight_ = packed(weight.to(weight_.options()));
}

void pack_convolutions_for_onednn(torch::nn::Module& network, int min_in_channels) {
  for (const auto& module : network.modules())
    if (auto* conv = module->as<Conv2dImpl>(); conv && conv->in_channels() >= min_in_channels)
      conv->pack_weight_for_onednn();
}

void set_circular_padding(torch::nn::Module& network, bool circular) {
  for (const auto& module : network.modules())
    if (auto* conv = module->as<Conv2dImpl>()) conv->set_circular(circular);
}

bool pads_circularly(torch::nn::Module& network) {
  for (const auto& module : network.modules())
    if (auto* conv = module->as<Conv2dImpl>(); conv && conv->circular()) return true;
  return false;
}

LayerNormImpl::LayerNormImpl(int width, double eps)
    : width_(width),
      eps_(eps),
      weight_(uninitialised(*this, "weight", {width})),
      bias_(uninitialised(*this, "bias", {width})) {}

at::Tensor LayerNormImpl::forward(const at::Tensor& x) { return at::layer_norm(x, {width_}, weight_, bias_, eps_); }

EmbeddingImpl::EmbeddingImpl(int count, int width) : weight_(uninitialised(*this, "weight", {count, width})) {}

at::Tensor EmbeddingImpl::forward(const at::Tensor& ids) { return at::embedding(weight_, ids); }

void store_conv_weights_channels_last(torch::nn::Module& module) {
  at::NoGradGuard no_grad;
  for (auto& parameter : module.parameters())
    if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
}

std::shared_ptr<torch::nn::Module> add_container(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

}  // namespace atelier
