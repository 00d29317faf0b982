#include "core/models/flop_count.h"

namespace atelier {
namespace {

// Counts as the networks' forward passes run, layer by layer.
class FlopCounter {
 public:
  explicit FlopCounter(int batch) : batch_(batch) {}

  void conv(double in, double out, double kernel, double out_height, double out_width) {
    total_ += 2 * batch_ * in * out * kernel * kernel * out_height * out_width;
  }
  void linear(double in, double out, double tokens) { total_ += 2 * batch_ * in * out * tokens; }
  // q·kᵀ and softmax·v over all heads (heads × head width = width).
  void attention(double queries, double keys, double width) { total_ += 2 * 2 * batch_ * queries * keys * width; }

  double total() const { return total_; }

 private:
  double batch_;
  double total_ = 0;
};

void unet_res_block(FlopCounter& count, int in, int out, int emb_dim, int h, int w) {
  count.conv(in, out, 3, h, w);
  count.linear(emb_dim, out, 1);
  count.conv(out, out, 3, h, w);
  if (in != out) count.conv(in, out, 1, h, w);
}

void unet_transformer(FlopCounter& count, const UNetConfig& config, int depth, int channels, int h, int w,
                      int context_tokens) {
  const double tokens = double(h) * w;
  count.conv(channels, channels, 1, h, w);  // proj_in (a Linear on SD2: the same count)
  for (int i = 0; i < depth; ++i) {
    count.linear(channels, 3 * channels, tokens);  // self-attention q, k, v
    count.attention(tokens, tokens, channels);
    count.linear(channels, channels, tokens);
    count.linear(channels, channels, tokens);  // cross-attention q
    count.linear(config.context_dim, 2 * channels, context_tokens);
    count.attention(tokens, context_tokens, channels);
    count.linear(channels, channels, tokens);
    count.linear(channels, 8 * channels, tokens);  // GEGLU
    count.linear(4 * channels, channels, tokens);
  }
  count.conv(channels, channels, 1, h, w);  // proj_out
}

void vae_res_block(FlopCounter& count, int in, int out, int h, int w) {
  count.conv(in, out, 3, h, w);
  count.conv(out, out, 3, h, w);
  if (in != out) count.conv(in, out, 1, h, w);
}

void vae_attention(FlopCounter& count, int channels, int h, int w) {
  count.conv(channels, 4 * channels, 1, h, w);  // q, k, v, proj_out
  count.attention(double(h) * w, double(h) * w, channels);
}

}  // namespace

double unet_flops(const UNetConfig& config, int batch, int latent_height, int latent_width, int context_tokens) {
  FlopCounter count(batch);
  const int mc = config.model_channels;
  const int emb_dim = 4 * mc;
  count.linear(mc, emb_dim, 1);
  count.linear(emb_dim, emb_dim, 1);
  if (config.adm_in_channels > 0) {  // label_emb
    count.linear(config.adm_in_channels, emb_dim, 1);
    count.linear(emb_dim, emb_dim, 1);
  }

  int h = latent_height, w = latent_width, ch = mc;
  count.conv(config.in_channels, mc, 3, h, w);
  std::vector<int> skip_channels{mc};
  const auto levels = config.channel_mult.size();
  for (std::size_t level = 0; level < levels; ++level) {
    for (int i = 0; i < config.num_res_blocks; ++i) {
      const int out = config.channel_mult[level] * mc;
      unet_res_block(count, ch, out, emb_dim, h, w);
      ch = out;
      if (config.has_attention(level))
        unet_transformer(count, config, config.transformer_depth[level], ch, h, w, context_tokens);
      skip_channels.push_back(ch);
    }
    if (level + 1 != levels) {
      h = (h + 1) / 2, w = (w + 1) / 2;
      count.conv(ch, ch, 3, h, w);
      skip_channels.push_back(ch);
    }
  }
  unet_res_block(count, ch, ch, emb_dim, h, w);
  unet_transformer(count, config, config.middle_transformer_depth, ch, h, w, context_tokens);
  unet_res_block(count, ch, ch, emb_dim, h, w);
  for (std::size_t level = levels; level-- > 0;) {
    for (int i = 0; i <= config.num_res_blocks; ++i) {
      const int out = config.channel_mult[level] * mc;
      unet_res_block(count, ch + skip_channels.back(), out, emb_dim, h, w);
      skip_channels.pop_back();
      ch = out;
      if (config.has_attention(level))
        unet_transformer(count, config, config.transformer_depth[level], ch, h, w, context_tokens);
      if (level > 0 && i == config.num_res_blocks) {
        h *= 2, w *= 2;
        count.conv(ch, ch, 3, h, w);
      }
    }
  }
  count.conv(mc, config.out_channels, 3, h, w);
  return count.total();
}

double vae_decode_flops(const VaeConfig& config, int latent_height, int latent_width) {
  FlopCounter count(1);
  int h = latent_height, w = latent_width;
  int ch = config.ch * config.ch_mult.back();
  count.conv(config.embed_dim, config.z_channels, 1, h, w);
  count.conv(config.z_channels, ch, 3, h, w);
  vae_res_block(count, ch, ch, h, w);
  vae_attention(count, ch, h, w);
  vae_res_block(count, ch, ch, h, w);
  for (std::size_t level = config.ch_mult.size(); level-- > 0;) {
    const int out = config.ch * config.ch_mult[level];
    for (int i = 0; i <= config.num_res_blocks; ++i) {
      vae_res_block(count, ch, out, h, w);
      ch = out;
      if (config.attention_levels[level]) vae_attention(count, ch, h, w);
    }
    if (level != 0) {
      h *= 2, w *= 2;
      count.conv(ch, ch, 3, h, w);
    }
  }
  count.conv(ch, config.out_channels, 3, h, w);
  return count.total();
}

double text_encoder_flops(const ClipTextConfig& config, int sequences) {
  FlopCounter count(sequences);
  const double tokens = config.max_positions;
  const int hidden = config.hidden_size;
  for (int layer = 0; layer < config.num_layers; ++layer) {
    count.linear(hidden, 4 * hidden, tokens);  // q, k, v, out
    count.attention(tokens, tokens, hidden);
    count.linear(hidden, config.intermediate_size, tokens);
    count.linear(config.intermediate_size, hidden, tokens);
  }
  return count.total();
}

}  // namespace atelier
