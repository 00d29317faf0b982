#include "core/upscale/esrgan_networks.h"

#include <string>

namespace atelier {
namespace {

constexpr double kLeakySlope = 0.2;     // BasicSR's nn.LeakyReLU(negative_slope=0.2)
constexpr double kResidualScale = 0.2;  // "we use 0.2 to scale the residual"

at::Tensor lrelu(const at::Tensor& x) { return at::leaky_relu(x, kLeakySlope); }

at::Tensor nearest_times(const at::Tensor& x, int factor) {
  return at::upsample_nearest2d(x, {x.size(2) * factor, x.size(3) * factor});
}

// Pads the bottom and right edges to a multiple of `multiple` (reflecting, as ComfyUI and
// spandrel pad for the unshuffle; replicating where a side is too short to reflect).
at::Tensor pad_to_multiple(const at::Tensor& x, int multiple) {
  const auto pad_h = (multiple - x.size(2) % multiple) % multiple;
  const auto pad_w = (multiple - x.size(3) % multiple) % multiple;
  if (pad_h == 0 && pad_w == 0) return x;
  const bool can_reflect = pad_h < x.size(2) && pad_w < x.size(3);
  return can_reflect ? at::reflection_pad2d(x, {0, pad_w, 0, pad_h}) : at::replication_pad2d(x, {0, pad_w, 0, pad_h});
}

}  // namespace

ResidualDenseBlockImpl::ResidualDenseBlockImpl(int features, int growth) {
  for (int i = 0; i < 5; ++i) {
    const int out = i == 4 ? features : growth;
    convs_.push_back(register_module("conv" + std::to_string(i + 1), Conv2d(features + i * growth, out, 3, 1, 1)));
  }
}

at::Tensor ResidualDenseBlockImpl::forward(const at::Tensor& x) {
  std::vector<at::Tensor> seen{x};
  for (std::size_t i = 0; i + 1 < convs_.size(); ++i) seen.push_back(lrelu(convs_[i](at::cat(seen, 1))));
  return convs_.back()(at::cat(seen, 1)) * kResidualScale + x;
}

RrdbImpl::RrdbImpl(int features, int growth)
    : rdb1_(register_module("rdb1", ResidualDenseBlock(features, growth))),
      rdb2_(register_module("rdb2", ResidualDenseBlock(features, growth))),
      rdb3_(register_module("rdb3", ResidualDenseBlock(features, growth))) {}

at::Tensor RrdbImpl::forward(const at::Tensor& x) { return rdb3_(rdb2_(rdb1_(x))) * kResidualScale + x; }

RrdbNet::RrdbNet(const RrdbConfig& config) : config_(config) {
  const int nf = config.features;
  const int unshuffled = config.in_channels * config.unshuffle * config.unshuffle;
  conv_first_ = register_module("conv_first", Conv2d(unshuffled, nf, 3, 1, 1));
  auto body = add_container(*this, "body");
  for (int i = 0; i < config.blocks; ++i)
    body_.push_back(body->register_module(std::to_string(i), Rrdb(nf, config.growth)));
  conv_body_ = register_module("conv_body", Conv2d(nf, nf, 3, 1, 1));
  for (int i = 0; i < config.upsamplings; ++i)
    conv_up_.push_back(register_module("conv_up" + std::to_string(i + 1), Conv2d(nf, nf, 3, 1, 1)));
  conv_hr_ = register_module("conv_hr", Conv2d(nf, nf, 3, 1, 1));
  conv_last_ = register_module("conv_last", Conv2d(nf, config.out_channels, 3, 1, 1));
}

at::Tensor RrdbNet::forward(const at::Tensor& rgb) {
  const int shuffle = config_.unshuffle;
  at::Tensor feat = shuffle == 1 ? rgb : at::pixel_unshuffle(pad_to_multiple(rgb, shuffle), shuffle);
  feat = conv_first_(feat);
  at::Tensor trunk = feat;
  for (auto& block : body_) trunk = block(trunk);
  feat = feat + conv_body_(trunk);
  for (auto& conv : conv_up_) feat = lrelu(conv(nearest_times(feat, 2)));
  at::Tensor out = conv_last_(lrelu(conv_hr_(feat)));
  if (shuffle == 1) return out;
  return out.slice(2, 0, rgb.size(2) * scale()).slice(3, 0, rgb.size(3) * scale());
}

CompactNet::CompactNet(const CompactConfig& config) : config_(config) {
  auto body = add_container(*this, "body");
  const int last = 2 * config.convs + 2;  // body.<last> is the last convolution
  for (int i = 0; i <= last; i += 2) {
    const int in = i == 0 ? config.in_channels : config.features;
    const int out = i == last ? config.out_channels * config.scale * config.scale : config.features;
    convs_.push_back(body->register_module(std::to_string(i), Conv2d(in, out, 3, 1, 1)));
    if (i == last) break;
    auto activation = add_container(*body, std::to_string(i + 1));
    prelu_.push_back(activation->register_parameter("weight", at::empty({config.features}), /*requires_grad=*/false));
  }
}

at::Tensor CompactNet::forward(const at::Tensor& rgb) {
  at::Tensor out = rgb;
  for (std::size_t i = 0; i < prelu_.size(); ++i) out = at::prelu(convs_[i](out), prelu_[i]);
  out = at::pixel_shuffle(convs_.back()(out), config_.scale);
  // The network learns the residual over the nearest-upsampled input.
  return out + nearest_times(rgb, config_.scale);
}

}  // namespace atelier
