#include "core/pipeline/prompt_conditioning.h"

#include "core/models/unet.h"

namespace atelier {
namespace {

constexpr int kSizeEmbeddingWidth = 256;  // sgm's ConcatTimestepEmbedderND outdim

// The chunk's ids as the encoder reads them: with a pad id other than end-of-text (OpenCLIP's
// 0), everything after the first end-of-text token becomes padding (A1111's process_tokens).
at::Tensor chunk_ids(const PromptChunk& chunk, int pad_token) {
  std::vector<int64_t> ids(chunk.tokens.begin(), chunk.tokens.end());
  if (pad_token != ClipTokenizer::kEndToken) {
    auto end = std::find(ids.begin(), ids.end(), ClipTokenizer::kEndToken);
    if (end != ids.end()) std::fill(end + 1, ids.end(), pad_token);
  }
  return at::tensor(at::IntArrayRef(ids)).unsqueeze(0);
}

}  // namespace

at::Tensor apply_emphasis(const at::Tensor& z, const at::Tensor& weights) {
  auto original_mean = z.mean();
  auto weighted = z * weights.reshape({weights.size(0), weights.size(1), 1}).to(z.scalar_type());
  return weighted * (original_mean / weighted.mean());
}

PromptEncoder::PromptEncoder(TextEncoder encoder, const ClipTokenizer& tokenizer, int clip_skip)
    : encoder_(std::move(encoder)), tokenizer_(tokenizer), clip_skip_(clip_skip) {}

const PromptEncoder::Encoded& PromptEncoder::encode_with_pooled(const std::string& prompt) {
  if (auto cached = cache_.find(prompt); cached != cache_.end()) return cached->second;
  using Output = TextEncoderInfo::Output;
  const auto& info = encoder_.info;
  auto& network = *encoder_.network;
  const auto device = network.parameters().front().device();
  Encoded encoded;
  std::vector<at::Tensor> chunks;
  for (const auto& chunk : tokenize_prompt(tokenizer_, prompt).chunks) {
    const auto ids = chunk_ids(chunk, info.pad_token).to(device);
    at::Tensor z;
    if (info.output == Output::LastNormed) {
      z = network.forward(ids, clip_skip_);  // SD1.x: A1111's Clip skip
    } else {
      // SD2.x and SDXL take a fixed hidden layer; A1111 applies no Clip skip to them.
      const int layers = info.pooled ? info.config.num_layers : info.hidden_layer;
      const auto states = network.hidden_states(ids, layers);
      z = states[info.hidden_layer];
      if (info.output == Output::HiddenNormed) z = network.final_norm(z);
      if (info.pooled && !encoded.pooled.defined()) encoded.pooled = network.pooled(states.back(), ids);
    }
    auto weights = at::tensor(at::ArrayRef<float>(chunk.weights.data(), chunk.weights.size())).unsqueeze(0).to(device);
    chunks.push_back(apply_emphasis(z, weights));
  }
  encoded.hidden = at::cat(chunks, 1);
  return cache_[prompt] = std::move(encoded);
}

at::Tensor sdxl_vector(ModelFamily family, const at::Tensor& pooled, const ImageConditioning& image) {
  std::vector<double> numbers{double(image.original_height), double(image.original_width), double(image.crop_top),
                              double(image.crop_left)};
  if (family == ModelFamily::SDXLRefiner) {
    numbers.push_back(image.aesthetic_score);
  } else {
    numbers.push_back(image.target_height);
    numbers.push_back(image.target_width);
  }
  const auto values = at::tensor(at::ArrayRef<double>(numbers)).to(at::kFloat);
  const auto embedded = timestep_embedding(values, kSizeEmbeddingWidth).reshape({1, -1});
  return at::cat({pooled, embedded.to(pooled.device(), pooled.scalar_type())}, 1);
}

Conditioner::Conditioner(const StableDiffusionModel& model, const ClipTokenizer& tokenizer, int clip_skip)
    : family_(model.info.family) {
  for (const auto& encoder : model.text_encoders) encoders_.emplace_back(encoder, tokenizer, clip_skip);
}

Conditioning Conditioner::encode(const std::string& prompt, const ImageConditioning& image, bool negative) {
  std::vector<at::Tensor> contexts;
  at::Tensor pooled;
  for (auto& encoder : encoders_) {
    const auto& encoded = encoder.encode_with_pooled(prompt);
    contexts.push_back(encoded.hidden);
    if (encoded.pooled.defined()) pooled = encoded.pooled;
  }
  Conditioning conditioning{at::cat(contexts, -1), {}, {}};
  const bool sdxl = family_ == ModelFamily::SDXLBase || family_ == ModelFamily::SDXLRefiner;
  if (!sdxl) return conditioning;
  if (negative && prompt.empty()) {
    conditioning.context = at::zeros_like(conditioning.context);
    pooled = at::zeros_like(pooled);
  }
  conditioning.vector = sdxl_vector(family_, pooled, image);
  return conditioning;
}

}  // namespace atelier

namespace atelier {

ScheduledConditioning Conditioner::encode_schedule(const std::string& prompt, int steps, const ImageConditioning& image,
                                                   bool negative) {
  ScheduledConditioning scheduled{prompt_schedule(prompt, steps), {}};
  for (const auto& entry : scheduled.schedule) scheduled.conditionings.push_back(encode(entry.text, image, negative));
  return scheduled;
}

}  // namespace atelier
