#include "core/pipeline/prompt_conditioning.h"

#include <algorithm>

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

PromptEncoder::PromptEncoder(TextEncoder encoder, const ClipTokenizer& tokenizer, int clip_skip,
                             std::vector<const TextualInversion*> embeddings, std::string embedding_key)
    : encoder_(std::move(encoder)),
      tokenizer_(tokenizer),
      clip_skip_(clip_skip),
      embeddings_(std::move(embeddings)),
      embedding_key_(std::move(embedding_key)) {
  for (std::size_t i = 0; i < embeddings_.size(); ++i)
    words_.add(tokenizer_.encode(embeddings_[i]->name), embeddings_[i]->count, static_cast<int>(i));
}

// The vectors of `chunk`'s embeddings at their token positions, on `device`.
std::vector<TokenVectors> PromptEncoder::vectors_of(const PromptChunk& chunk, c10::Device device,
                                                   c10::ScalarType dtype) {
  std::vector<TokenVectors> replaced;
  for (const auto& fix : chunk.fixes) {
    const TextualInversion* embedding = embeddings_[fix.index];
    if (std::find(used_.begin(), used_.end(), embedding) == used_.end()) used_.push_back(embedding);
    replaced.push_back({fix.offset + 1, embedding->vectors.at(embedding_key_).to(device, dtype)});
  }
  return replaced;
}

const PromptEncoder::Encoded& PromptEncoder::encode_with_pooled(const std::string& prompt) {
  if (auto cached = cache_.find(prompt); cached != cache_.end()) return cached->second;
  using Output = TextEncoderInfo::Output;
  const auto& info = encoder_.info;
  auto& network = *encoder_.network;
  const auto device = network.parameters().front().device();
  Encoded encoded;
  std::vector<at::Tensor> chunks;
  const auto dtype = network.parameters().front().scalar_type();
  for (const auto& chunk : tokenize_prompt(tokenizer_, prompt, &words_).chunks) {
    const auto ids = chunk_ids(chunk, info.pad_token).to(device);
    const auto replaced = vectors_of(chunk, device, dtype);
    at::Tensor z;
    if (info.output == Output::LastNormed) {
      z = network.forward(ids, clip_skip_, replaced);  // SD1.x: A1111's Clip skip
    } else {
      // SD2.x and SDXL take a fixed hidden layer; A1111 applies no Clip skip to them.
      const int layers = info.pooled ? info.config.num_layers : info.hidden_layer;
      const auto states = network.hidden_states(ids, layers, replaced);
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

Conditioner::Conditioner(const StableDiffusionModel& model, const ClipTokenizer& tokenizer, int clip_skip,
                         const std::vector<TextualInversion>& embeddings)
    : family_(model.info.family) {
  // SDXL's embeddings name each encoder's vectors (A1111's textual_inversion_key).
  const bool sdxl = family_ == ModelFamily::SDXLBase || family_ == ModelFamily::SDXLRefiner;
  std::vector<std::string> keys;
  for (const auto& encoder : model.text_encoders)
    keys.push_back(!sdxl ? "" : encoder.info.layout == TextEncoderInfo::Layout::OpenClip ? "clip_g" : "clip_l");
  std::vector<const TextualInversion*> fitting;
  for (const auto& embedding : embeddings) {
    bool fits = true;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto vectors = embedding.vectors.find(keys[i]);
      fits = fits && vectors != embedding.vectors.end() &&
             vectors->second.size(1) == model.text_encoders[i].info.config.hidden_size &&
             vectors->second.size(0) == embedding.count;
    }
    if (fits) fitting.push_back(&embedding);
  }
  for (std::size_t i = 0; i < keys.size(); ++i)
    encoders_.emplace_back(model.text_encoders[i], tokenizer, clip_skip, fitting, keys[i]);
}

std::vector<const TextualInversion*> Conditioner::used_embeddings() const {
  std::vector<const TextualInversion*> used;
  for (const auto& encoder : encoders_)
    for (const auto* embedding : encoder.used_embeddings())
      if (std::find(used.begin(), used.end(), embedding) == used.end()) used.push_back(embedding);
  return used;
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
                                                   bool negative, const ScheduleOptions& options) {
  ScheduledConditioning scheduled{prompt_schedule(prompt, steps, options), {}};
  for (const auto& entry : scheduled.schedule) scheduled.conditionings.push_back(encode(entry.text, image, negative));
  return scheduled;
}

}  // namespace atelier
