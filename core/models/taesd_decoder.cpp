#include "core/models/taesd_decoder.h"

#include <string>

#include "core/error.h"

namespace atelier {
namespace {

// The reference nn.Sequential's layer indices: the first convolution, each stage's three
// Blocks and its convolution after the upsampling, the last Block and the convolution to RGB.
constexpr int kFirstConv = 1;
constexpr int kFirstStage = 3;
constexpr int kStageLayers = 5;  // Block, Block, Block, Upsample, conv
constexpr int kStages = 3;
constexpr int kLastBlock = kFirstStage + kStages * kStageLayers;  // 18
constexpr int kToRgb = kLastBlock + 1;

class DecoderTensors {
 public:
  explicit DecoderTensors(const TensorSource& source) : source_(source) {
    prefix_ = source.contains("decoder." + std::to_string(kFirstConv) + ".weight") ? "decoder." : "";
  }

  bool has(const std::string& name) const { return source_.contains(prefix_ + name); }

  // Tensor `name`, F32, with `rank` dimensions.
  at::Tensor get(const std::string& name, std::size_t rank) const {
    const auto* entry = source_.find(prefix_ + name);
    if (!entry)
      throw FormatError(source_.describe(prefix_ + name) + " is missing: not a TAESD decoder (taesd_decoder.pth)");
    if (entry->shape.size() != rank)
      throw FormatError(source_.describe(prefix_ + name) + " has " + std::to_string(entry->shape.size()) +
                        " dimensions, expected " + std::to_string(rank));
    return source_.tensor(prefix_ + name, at::kFloat).clone();
  }

  const std::string& prefix() const { return prefix_; }

 private:
  const TensorSource& source_;
  std::string prefix_;
};

}  // namespace

at::Tensor TaesdDecoder::Conv::operator()(const at::Tensor& x) const {
  const int64_t padding = weight.size(2) / 2;
  return at::conv2d(x, weight, bias, 1, padding);
}

at::Tensor TaesdDecoder::Block::operator()(const at::Tensor& x) const {
  const auto residual = conv4(at::relu(conv2(at::relu(conv0(x)))));
  return at::relu(residual + (skip.weight.defined() ? skip(x) : x));
}

TaesdDecoder::TaesdDecoder(const TensorSource& source) {
  const DecoderTensors tensors(source);
  // Convolution `name` taking `in` channels (0: any), with its bias when `with_bias`.
  const auto conv = [&](const std::string& name, int64_t in, bool with_bias) {
    Conv loaded{tensors.get(name + ".weight", 4), with_bias ? tensors.get(name + ".bias", 1) : at::Tensor()};
    if (in && loaded.weight.size(1) != in)
      throw FormatError(source.describe(tensors.prefix() + name + ".weight") + " takes " +
                        std::to_string(loaded.weight.size(1)) + " channels, expected " + std::to_string(in));
    return loaded;
  };
  const auto block = [&](int index, int64_t in) {
    const std::string name = std::to_string(index);
    Block b{conv(name + ".conv.0", in, true), {}, {}, {}};
    const int64_t width = b.conv0.weight.size(0);
    b.conv2 = conv(name + ".conv.2", width, true);
    b.conv4 = conv(name + ".conv.4", width, true);
    if (tensors.has(name + ".skip.weight")) b.skip = conv(name + ".skip", in, false);
    else if (in != width)
      throw FormatError(source.describe(tensors.prefix() + name + ".skip.weight") + " is missing: block " + name + " changes width");
    return b;
  };
  const auto width_of = [](const Conv& c) { return c.weight.size(0); };

  first_ = conv(std::to_string(kFirstConv), 0, true);
  int64_t width = width_of(first_);
  for (int s = 0; s < kStages; ++s) {
    Stage stage;
    const int base = kFirstStage + s * kStageLayers;
    for (int b = 0; b < 3; ++b) {
      stage.blocks.push_back(block(base + b, width));
      width = width_of(stage.blocks.back().conv4);
    }
    stage.after_upsample = conv(std::to_string(base + 4), width, false);
    width = width_of(stage.after_upsample);
    stages_.push_back(std::move(stage));
  }
  last_block_ = block(kLastBlock, width);
  to_rgb_ = conv(std::to_string(kToRgb), width_of(last_block_.conv4), true);
  if (width_of(to_rgb_) != 3)
    throw FormatError(source.describe(tensors.prefix() + std::to_string(kToRgb) + ".weight") + " gives " +
                      std::to_string(width_of(to_rgb_)) + " channels, expected 3 (RGB)");
}

at::Tensor TaesdDecoder::decode(const at::Tensor& latent) const {
  if (latent.dim() != 4 || latent.size(1) != latent_channels())
    throw InvalidArgument("TAESD decoder takes [B, " + std::to_string(latent_channels()) + ", h, w] latents");
  auto x = at::relu(first_(at::tanh(latent.to(first_.weight.options()) / 3) * 3));
  for (const auto& stage : stages_) {
    for (const auto& block : stage.blocks) x = block(x);
    x = stage.after_upsample(at::upsample_nearest2d(x, {2 * x.size(2), 2 * x.size(3)}));
  }
  return to_rgb_(last_block_(x));
}

void TaesdDecoder::to(at::Device device, at::ScalarType dtype) {
  const auto move = [&](Conv& c) {
    c.weight = c.weight.to(device, dtype);
    if (c.bias.defined()) c.bias = c.bias.to(device, dtype);
  };
  const auto move_block = [&](Block& b) {
    for (auto* c : {&b.conv0, &b.conv2, &b.conv4, &b.skip})
      if (c->weight.defined()) move(*c);
  };
  move(first_);
  for (auto& stage : stages_) {
    for (auto& block : stage.blocks) move_block(block);
    move(stage.after_upsample);
  }
  move_block(last_block_);
  move(to_rgb_);
}

}  // namespace atelier
