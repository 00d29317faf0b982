#include "core/models/unet.h"

#include <cmath>

#include "core/error.h"
#include "core/models/attention.h"

namespace atelier {
namespace {

constexpr double kUNetNormEps = 1e-5;             // ResBlocks and the final norm
constexpr double kTransformerNormEps = 1e-6;  // SpatialTransformer's GroupNorm

// Features and skip connection side by side; where the size did not divide evenly the
// upsampled features are one row or column larger and are resized to the skip's size
// (nearest), as A1111's cat hook in sd_hijack_unet.py does.
at::Tensor concat_skip(at::Tensor h, const at::Tensor& skip) {
  if (h.size(2) != skip.size(2) || h.size(3) != skip.size(3))
    h = at::upsample_nearest2d(h, {skip.size(2), skip.size(3)});
  return at::cat({h, skip}, 1);
}

auto stage_function(UNetStageImpl& stage) {
  return [&stage](const at::Tensor& h, const at::Tensor& emb, const at::Tensor& context) {
    return stage.forward(h, emb, context);
  };
}

}  // namespace

at::Tensor timestep_embedding(const at::Tensor& timesteps, int dim) {
  const int half = dim / 2;
  auto float_opts = timesteps.options().dtype(at::kFloat);
  auto freqs = at::exp(-std::log(10000.0) * at::arange(0, half, float_opts) / half);
  auto args = timesteps.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  auto embedding = at::cat({at::cos(args), at::sin(args)}, 1);
  if (dim % 2) embedding = at::cat({embedding, at::zeros({embedding.size(0), 1}, float_opts)}, 1);
  return embedding;
}

ResBlockImpl::ResBlockImpl(int in, int out, int emb_dim) {
  auto in_layers = add_container(*this, "in_layers");
  in_norm_ = in_layers->register_module("0", GroupNorm(in, kUNetNormEps));
  in_conv_ = in_layers->register_module("2", Conv2d(in, out, 3, 1, 1));
  auto emb_layers = add_container(*this, "emb_layers");
  emb_proj_ = emb_layers->register_module("1", Linear(emb_dim, out));
  auto out_layers = add_container(*this, "out_layers");
  out_norm_ = out_layers->register_module("0", GroupNorm(out, kUNetNormEps));
  out_conv_ = out_layers->register_module("3", Conv2d(out, out, 3, 1, 1));
  if (in != out) skip_ = register_module("skip_connection", Conv2d(in, out, 1));
}

at::Tensor ResBlockImpl::forward(const at::Tensor& x, const at::Tensor& emb) {
  auto h = in_conv_(in_norm_(x, /*then_silu=*/true));
  h = h + emb_proj_(at::silu(emb)).unsqueeze(-1).unsqueeze(-1);
  h = out_conv_(out_norm_(h, /*then_silu=*/true));
  return (skip_ ? skip_(x) : x) + h;
}

CrossAttentionImpl::CrossAttentionImpl(int query_dim, int context_dim, int heads, int head_dim)
    : heads_(heads) {
  const int inner = heads * head_dim;
  to_q_ = register_module("to_q", Linear(query_dim, inner, /*bias=*/false));
  to_k_ = register_module("to_k", Linear(context_dim, inner, /*bias=*/false));
  to_v_ = register_module("to_v", Linear(context_dim, inner, /*bias=*/false));
  auto to_out = add_container(*this, "to_out");
  to_out_ = to_out->register_module("0", Linear(inner, query_dim));
}

at::Tensor CrossAttentionImpl::forward(const at::Tensor& x, const at::Tensor& context) {
  auto q = split_heads(to_q_(x), heads_);
  auto k = split_heads(to_k_(context), heads_);
  auto v = split_heads(to_v_(context), heads_);
  return to_out_(merge_heads(attention(q, k, v)));
}

TransformerBlockImpl::TransformerBlockImpl(int dim, int context_dim, int heads, int head_dim) {
  attn1_ = register_module("attn1", CrossAttention(dim, dim, heads, head_dim));
  auto ff = add_container(*this, "ff");
  auto net = add_container(*ff, "net");
  auto geglu = add_container(*net, "0");
  ff_in_ = geglu->register_module("proj", Linear(dim, dim * 8));
  ff_out_ = net->register_module("2", Linear(dim * 4, dim));
  attn2_ = register_module("attn2", CrossAttention(dim, context_dim, heads, head_dim));
  auto layer_norm = [dim] { return LayerNorm(dim, 1e-5); };
  norm1_ = register_module("norm1", layer_norm());
  norm2_ = register_module("norm2", layer_norm());
  norm3_ = register_module("norm3", layer_norm());
}

at::Tensor TransformerBlockImpl::forward(const at::Tensor& x_in, const at::Tensor& context) {
  auto normed = norm1_(x_in);
  auto x = x_in + attn1_(normed, normed);
  x = x + attn2_(norm2_(x), context);
  auto projected = ff_in_(norm3_(x)).chunk(2, -1);  // GEGLU: value * gelu(gate), exact erf GELU
  return x + ff_out_(projected[0] * at::gelu(projected[1]));
}

SpatialTransformerImpl::SpatialTransformerImpl(int channels, int depth, const UNetConfig& config)
    : linear_projection_(config.linear_projection) {
  const int heads = config.heads_for(channels);
  const int head_dim = channels / heads;
  const int inner = heads * head_dim;
  norm_ = register_module("norm", GroupNorm(channels, kTransformerNormEps));
  if (linear_projection_) {
    proj_in_ = torch::nn::AnyModule(register_module("proj_in", Linear(channels, inner)));
  } else {
    proj_in_ = torch::nn::AnyModule(register_module("proj_in", Conv2d(channels, inner, 1)));
  }
  blocks_ = register_module("transformer_blocks", torch::nn::ModuleList());
  for (int i = 0; i < depth; ++i)
    blocks_->push_back(TransformerBlock(inner, config.context_dim, heads, head_dim));
  if (linear_projection_) {
    proj_out_ = torch::nn::AnyModule(register_module("proj_out", Linear(inner, channels)));
  } else {
    proj_out_ = torch::nn::AnyModule(register_module("proj_out", Conv2d(inner, channels, 1)));
  }
}

at::Tensor SpatialTransformerImpl::forward(const at::Tensor& x, const at::Tensor& context) {
  const auto b = x.size(0), h = x.size(2), w = x.size(3);
  auto to_tokens = [&](const at::Tensor& t) { return t.flatten(2).transpose(1, 2); };  // [B, HW, C]
  auto to_image = [&](const at::Tensor& t) { return t.transpose(1, 2).reshape({b, -1, h, w}); };
  auto y = norm_(x);
  at::Tensor tokens = linear_projection_ ? proj_in_.forward(to_tokens(y)) : to_tokens(proj_in_.forward(y));
  for (const auto& block : *blocks_) tokens = block->as<TransformerBlock>()->forward(tokens, context);
  auto out = linear_projection_ ? to_image(proj_out_.forward(tokens)) : proj_out_.forward(to_image(tokens));
  return out + x;
}

void UNetStageImpl::add_res_block(int in, int out, int emb_dim) {
  auto block = register_module(next_name(), ResBlock(in, out, emb_dim));
  layers_.push_back([block](const at::Tensor& x, const at::Tensor& emb, const at::Tensor&) {
    return block->forward(x, emb);
  });
}

void UNetStageImpl::add_transformer(int channels, int depth, const UNetConfig& config) {
  auto block = register_module(next_name(), SpatialTransformer(channels, depth, config));
  layers_.push_back([block](const at::Tensor& x, const at::Tensor&, const at::Tensor& context) {
    return block->forward(x, context);
  });
}

void UNetStageImpl::add_downsample(int channels) {
  auto conv = add_container(*this, next_name())->register_module("op", Conv2d(channels, channels, 3, 2, 1));
  layers_.push_back([conv](const at::Tensor& x, const at::Tensor&, const at::Tensor&) { return conv->forward(x); });
}

void UNetStageImpl::add_upsample(int channels) {
  auto conv = add_container(*this, next_name())->register_module("conv", Conv2d(channels, channels, 3, 1, 1));
  layers_.push_back([conv](const at::Tensor& x, const at::Tensor&, const at::Tensor&) {
    return conv->forward(at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}));
  });
}

at::Tensor UNetStageImpl::forward(at::Tensor x, const at::Tensor& emb, const at::Tensor& context) {
  for (const auto& layer : layers_) x = layer(x, emb, context);
  return x;
}

UNetImpl::UNetImpl(const UNetConfig& config) : config_(config) {
  const int mc = config.model_channels;
  const int emb_dim = mc * 4;
  time_embed_ = add_container(*this, "time_embed");
  time_embed_in_ = time_embed_->register_module("0", Linear(mc, emb_dim));
  time_embed_out_ = time_embed_->register_module("2", Linear(emb_dim, emb_dim));
  if (config.adm_in_channels > 0) {
    label_emb_ = add_container(*this, "label_emb");
    auto sequential = add_container(*label_emb_, "0");
    label_emb_in_ = sequential->register_module("0", Linear(config.adm_in_channels, emb_dim));
    label_emb_out_ = sequential->register_module("2", Linear(emb_dim, emb_dim));
  }

  input_blocks_ = register_module("input_blocks", torch::nn::ModuleList());
  auto stem = std::make_shared<torch::nn::Module>();
  stem_ = stem->register_module("0", Conv2d(config.in_channels, mc, 3, 1, 1));
  input_blocks_->push_back(stem);

  std::vector<int> skip_channels{mc};
  int ch = mc;
  const auto levels = config.channel_mult.size();
  for (std::size_t level = 0; level < levels; ++level) {
    for (int i = 0; i < config.num_res_blocks; ++i) {
      auto stage = UNetStage();
      const int out = config.channel_mult[level] * mc;
      stage->add_res_block(ch, out, emb_dim);
      ch = out;
      if (config.has_attention(level)) stage->add_transformer(ch, config.transformer_depth[level], config);
      input_blocks_->push_back(stage);
      skip_channels.push_back(ch);
    }
    if (level + 1 != levels) {
      auto stage = UNetStage();
      stage->add_downsample(ch);
      input_blocks_->push_back(stage);
      skip_channels.push_back(ch);
    }
  }

  middle_block_ = register_module("middle_block", UNetStage());
  middle_block_->add_res_block(ch, ch, emb_dim);
  middle_block_->add_transformer(ch, config.middle_transformer_depth, config);
  middle_block_->add_res_block(ch, ch, emb_dim);

  output_blocks_ = register_module("output_blocks", torch::nn::ModuleList());
  for (std::size_t level = levels; level-- > 0;) {
    for (int i = 0; i <= config.num_res_blocks; ++i) {
      auto stage = UNetStage();
      const int out = config.channel_mult[level] * mc;
      stage->add_res_block(ch + skip_channels.back(), out, emb_dim);
      skip_channels.pop_back();
      ch = out;
      if (config.has_attention(level)) stage->add_transformer(ch, config.transformer_depth[level], config);
      if (level > 0 && i == config.num_res_blocks) stage->add_upsample(ch);
      output_blocks_->push_back(stage);
    }
  }

  out_ = add_container(*this, "out");
  out_norm_ = out_->register_module("0", GroupNorm(ch, kUNetNormEps));
  out_conv_ = out_->register_module("2", Conv2d(mc, config.out_channels, 3, 1, 1));
}

at::Tensor UNetImpl::forward(const at::Tensor& x, const at::Tensor& timesteps, const at::Tensor& context,
                             const at::Tensor& y, const FeatureObserver& observe) {
  auto note = [&](const std::string& name, const at::Tensor& value) {
    if (observe) observe(name, value);
  };
  auto t_emb = timestep_embedding(timesteps.to(x.device()), config_.model_channels).to(x.scalar_type());
  note("t_emb", t_emb);
  at::Tensor emb;
  {
    const WeightsInUse in_use(stream_.get(), *time_embed_, "time_embed");
    emb = time_embed_out_(at::silu(time_embed_in_(t_emb)));
  }
  note("time_embed", emb);
  if (label_emb_) {
    if (!y.defined() || y.dim() != 2 || y.size(1) != config_.adm_in_channels)
      throw InvalidArgument("this UNet needs a conditioning vector of width " + std::to_string(config_.adm_in_channels));
    const WeightsInUse in_use(stream_.get(), *label_emb_, "label_emb");
    const auto label = label_emb_out_(at::silu(label_emb_in_(y.to(emb.scalar_type()))));
    note("label_emb", label);
    emb = emb + label;
  }

  // Runs `stage` (the child at `path`) on `input` with its weights in use, over the whole
  // batch or in parts, and shows its output.
  using StageFunction = std::function<at::Tensor(const at::Tensor& h, const at::Tensor& emb, const at::Tensor& context)>;
  auto run = [&](torch::nn::Module& stage, const std::string& path, const at::Tensor& input,
                 const StageFunction& compute) {
    const WeightsInUse in_use(stream_.get(), stage, path);
    at::Tensor output;
    if (batch_parts_ > 1 && input.size(0) > 1) {
      const auto inputs = input.chunk(batch_parts_), embs = emb.chunk(batch_parts_),
                 contexts = context.chunk(batch_parts_);
      std::vector<at::Tensor> outputs;
      for (std::size_t part = 0; part < inputs.size(); ++part)
        outputs.push_back(compute(inputs[part], embs[part], contexts[part]));
      output = at::cat(outputs);
    } else {
      output = compute(input, emb, context);
    }
    note(path, output);
    return output;
  };

  std::vector<at::Tensor> skips;
  at::Tensor h = run(*input_blocks_[0], "input_blocks.0", x,
                     [&](const at::Tensor& input, const at::Tensor&, const at::Tensor&) { return stem_(input); });
  skips.push_back(h);
  for (std::size_t i = 1; i < input_blocks_->size(); ++i) {
    auto& stage = *input_blocks_[i]->as<UNetStage>();
    h = run(stage, "input_blocks." + std::to_string(i), h, stage_function(stage));
    skips.push_back(h);
  }
  h = run(*middle_block_, "middle_block", h, stage_function(*middle_block_));
  for (std::size_t i = 0; i < output_blocks_->size(); ++i) {
    auto& stage = *output_blocks_[i]->as<UNetStage>();
    h = run(stage, "output_blocks." + std::to_string(i), concat_skip(h, skips.back()), stage_function(stage));
    skips.pop_back();
  }
  return run(*out_, "out", h, [&](const at::Tensor& input, const at::Tensor&, const at::Tensor&) {
    return out_conv_(out_norm_(input, /*then_silu=*/true));
  });
}

}  // namespace atelier
