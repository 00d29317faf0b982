#include "core/models/vae.h"

#include "core/models/attention.h"

namespace atelier {
namespace {

constexpr double kVaeNormEps = 1e-6;

}  // namespace

VaeResBlockImpl::VaeResBlockImpl(int in, int out) {
  norm1_ = register_module("norm1", GroupNorm(in, kVaeNormEps));
  conv1_ = register_module("conv1", Conv2d(in, out, 3, 1, 1));
  norm2_ = register_module("norm2", GroupNorm(out, kVaeNormEps));
  conv2_ = register_module("conv2", Conv2d(out, out, 3, 1, 1));
  if (in != out) shortcut_ = register_module("nin_shortcut", Conv2d(in, out, 1));
}

at::Tensor VaeResBlockImpl::forward(at::Tensor x) {
  // At full resolution each activation is hundreds of MB: the input is let go once the shortcut
  // has read it, normalised in place, and the sum formed in place.
  const at::Tensor skip = shortcut_ ? shortcut_(x) : x;
  auto h = conv1_(shortcut_ ? norm1_->forward_in_place(std::move(x), /*then_silu=*/true)
                            : norm1_(x, /*then_silu=*/true));
  h = conv2_(norm2_->forward_in_place(std::move(h), /*then_silu=*/true));
  return h.add_(skip);
}

VaeAttentionImpl::VaeAttentionImpl(int channels) {
  norm_ = register_module("norm", GroupNorm(channels, kVaeNormEps));
  q_ = register_module("q", Conv2d(channels, channels, 1));
  k_ = register_module("k", Conv2d(channels, channels, 1));
  v_ = register_module("v", Conv2d(channels, channels, 1));
  proj_out_ = register_module("proj_out", Conv2d(channels, channels, 1));
}

at::Tensor VaeAttentionImpl::forward(const at::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto normed = norm_(x);
  auto as_tokens = [](const at::Tensor& t) { return t.flatten(2).transpose(1, 2).unsqueeze(1); };  // [B,1,HW,C]
  auto out = attention(as_tokens(q_(normed)), as_tokens(k_(normed)), as_tokens(v_(normed)));
  out = out.squeeze(1).transpose(1, 2).reshape({b, c, h, w});
  return x + proj_out_(out);
}

VaeMiddleImpl::VaeMiddleImpl(int channels) {
  block_1_ = register_module("block_1", VaeResBlock(channels, channels));
  attn_1_ = register_module("attn_1", VaeAttention(channels));
  block_2_ = register_module("block_2", VaeResBlock(channels, channels));
}

at::Tensor VaeMiddleImpl::forward(const at::Tensor& x) { return block_2_(attn_1_(block_1_(x))); }

at::Tensor VaeLevelImpl::forward(at::Tensor x) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    x = blocks[i](std::move(x));
    if (!attentions.empty()) x = attentions[i](x);
  }
  return resample ? resample(std::move(x)) : x;
}

namespace {

// A level's ResBlocks, attention and resampler under checkpoint names (block.N, attn.N, ...).
VaeLevel make_level(int in, int out, int blocks, bool with_attention) {
  VaeLevel level;
  auto block_list = add_container(*level, "block");
  auto attn_list = with_attention ? add_container(*level, "attn") : nullptr;
  for (int i = 0; i < blocks; ++i) {
    level->blocks.push_back(block_list->register_module(std::to_string(i), VaeResBlock(i == 0 ? in : out, out)));
    if (attn_list) level->attentions.push_back(attn_list->register_module(std::to_string(i), VaeAttention(out)));
  }
  return level;
}

}  // namespace

VaeEncoderImpl::VaeEncoderImpl(const VaeConfig& config) {
  conv_in_ = register_module("conv_in", Conv2d(config.in_channels, config.ch, 3, 1, 1));
  auto down = add_container(*this, "down");
  int ch = config.ch;
  const auto levels = config.ch_mult.size();
  for (std::size_t i = 0; i < levels; ++i) {
    const int out = config.ch * config.ch_mult[i];
    auto level = down->register_module(std::to_string(i),
                                       make_level(ch, out, config.num_res_blocks, config.attention_levels[i]));
    ch = out;
    if (i + 1 != levels) {
      // LDM pads right and bottom only, then a stride-2 conv without padding.
      auto conv = add_container(*level, "downsample")->register_module("conv", Conv2d(ch, ch, 3, 2, 0));
      level->resample = [conv](at::Tensor x) { return conv->forward(at::constant_pad_nd(x, {0, 1, 0, 1})); };
    }
    levels_.push_back(level);
  }
  mid_ = register_module("mid", VaeMiddle(ch));
  norm_out_ = register_module("norm_out", GroupNorm(ch, kVaeNormEps));
  conv_out_ = register_module("conv_out", Conv2d(ch, 2 * config.z_channels, 3, 1, 1));
}

at::Tensor VaeEncoderImpl::forward(const at::Tensor& image) {
  // Activations follow the weights' layout (channels-last once loaded: see store_conv_weights_channels_last).
  auto h = conv_in_(image.contiguous(conv_in_->weight().suggest_memory_format()));
  for (auto& level : levels_) h = level(std::move(h));
  return conv_out_(norm_out_->forward_in_place(mid_(h), /*then_silu=*/true));
}

VaeDecoderImpl::VaeDecoderImpl(const VaeConfig& config) {
  const auto levels = config.ch_mult.size();
  int ch = config.ch * config.ch_mult.back();
  conv_in_ = register_module("conv_in", Conv2d(config.z_channels, ch, 3, 1, 1));
  mid_ = register_module("mid", VaeMiddle(ch));
  auto up = add_container(*this, "up");
  levels_.resize(levels);
  for (std::size_t i = levels; i-- > 0;) {
    const int out = config.ch * config.ch_mult[i];
    auto level = up->register_module(std::to_string(i),
                                     make_level(ch, out, config.num_res_blocks + 1, config.attention_levels[i]));
    ch = out;
    if (i != 0) {
      auto conv = add_container(*level, "upsample")->register_module("conv", Conv2d(ch, ch, 3, 1, 1));
      level->resample = [conv](at::Tensor x) {
        const auto upsampled = at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
        x.reset();  // a quarter of the upsampled size, not needed while the conv runs
        return conv->forward(upsampled);
      };
    }
    levels_[i] = level;
  }
  norm_out_ = register_module("norm_out", GroupNorm(ch, kVaeNormEps));
  conv_out_ = register_module("conv_out", Conv2d(ch, config.out_channels, 3, 1, 1));
}

at::Tensor VaeDecoderImpl::forward(const at::Tensor& z) {
  auto h = mid_(conv_in_(z.contiguous(conv_in_->weight().suggest_memory_format())));  // as in the encoder
  for (auto level = levels_.rbegin(); level != levels_.rend(); ++level) h = (*level)(std::move(h));
  return conv_out_(norm_out_->forward_in_place(std::move(h), /*then_silu=*/true));
}

AutoencoderKLImpl::AutoencoderKLImpl(const VaeConfig& config) : config_(config) {
  encoder_ = register_module("encoder", VaeEncoder(config));
  decoder_ = register_module("decoder", VaeDecoder(config));
  quant_conv_ = register_module("quant_conv", Conv2d(2 * config.z_channels, 2 * config.embed_dim, 1));
  post_quant_conv_ = register_module("post_quant_conv", Conv2d(config.embed_dim, config.z_channels, 1));
}

Posterior AutoencoderKLImpl::encode(const at::Tensor& image) {
  auto moments = quant_conv_(encoder_(image)).chunk(2, 1);
  return {moments[0], moments[1].clamp(-30.0, 20.0)};
}

at::Tensor AutoencoderKLImpl::decode(const at::Tensor& latent) { return decoder_(post_quant_conv_(latent)); }

}  // namespace atelier
