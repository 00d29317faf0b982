#include "core/pipeline/prompt_conditioning.h"

namespace atelier {

at::Tensor apply_emphasis(const at::Tensor& z, const at::Tensor& weights) {
  auto original_mean = z.mean();
  auto weighted = z * weights.reshape({weights.size(0), weights.size(1), 1}).to(z.scalar_type());
  return weighted * (original_mean / weighted.mean());
}

PromptEncoder::PromptEncoder(ClipTextEncoder encoder, const ClipTokenizer& tokenizer, int clip_skip)
    : encoder_(std::move(encoder)), tokenizer_(tokenizer), clip_skip_(clip_skip) {}

at::Tensor PromptEncoder::encode(const std::string& prompt) {
  if (auto cached = cache_.find(prompt); cached != cache_.end()) return cached->second;
  const auto device = encoder_->parameters().front().device();
  std::vector<at::Tensor> chunks;
  for (const auto& chunk : tokenize_prompt(tokenizer_, prompt).chunks) {
    auto ids = at::tensor(at::IntArrayRef(std::vector<int64_t>(chunk.tokens.begin(), chunk.tokens.end())))
                   .unsqueeze(0)
                   .to(device);
    auto weights = at::tensor(at::ArrayRef<float>(chunk.weights.data(), chunk.weights.size())).unsqueeze(0).to(device);
    chunks.push_back(apply_emphasis(encoder_->forward(ids, clip_skip_), weights));
  }
  return cache_[prompt] = at::cat(chunks, 1);
}

void PromptEncoder::match_lengths(at::Tensor& cond, at::Tensor& uncond) {
  auto pad = [this](at::Tensor& shorter, int64_t tokens) {
    auto empty = encode("");
    std::vector<at::Tensor> parts{shorter};
    for (int64_t i = 0; i < tokens / empty.size(1); ++i) parts.push_back(empty);
    shorter = at::cat(parts, 1);
  };
  if (cond.size(1) > uncond.size(1)) pad(uncond, cond.size(1) - uncond.size(1));
  if (uncond.size(1) > cond.size(1)) pad(cond, uncond.size(1) - cond.size(1));
}

}  // namespace atelier
