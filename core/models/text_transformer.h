#pragma once
// What conditioning needs of a CLIP text transformer, whichever checkpoint layout names its
// weights (Hugging Face's CLIPTextModel, OpenCLIP's `resblocks`): the residual stream after each
// block, the final layer norm and the pooled, projected end-of-text feature.
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "core/models/model_config.h"
#include "core/models/weight_stream.h"

namespace atelier {

// Vectors that take the place of token embeddings (textual inversion): rows `position`, … of
// the one sequence encoded, before the position embeddings are added.
struct TokenVectors {
  int64_t position = 0;
  at::Tensor vectors;  // [n, width]; rows past the sequence's end are left out
};

class TextTransformerImpl : public torch::nn::Module {
 public:
  explicit TextTransformerImpl(const ClipTextConfig& config) : config_(config) {}

  // The embeddings of token ids [B, T], then the residual stream after each of the first
  // `layers` blocks, without the final norm (Hugging Face's `hidden_states`): layers + 1 tensors.
  std::vector<at::Tensor> hidden_states(const at::Tensor& ids, int layers, const std::vector<TokenVectors>& replaced = {});
  std::vector<at::Tensor> hidden_states(const at::Tensor& ids) { return hidden_states(ids, config_.num_layers); }

  // With clip_skip N (A1111's "Clip skip"), the output of the block N-1 before the last, then
  // the final layer norm: SD1.x's conditioning.
  at::Tensor forward(const at::Tensor& ids, int clip_skip = 1, const std::vector<TokenVectors>& replaced = {});

  virtual at::Tensor final_norm(const at::Tensor& x) = 0;

  // final_norm(`last_state`) at each row's end-of-text token (the largest id, as CLIP pools)
  // times the text projection: [B, projection_dim]. InvalidArgument without a projection.
  at::Tensor pooled(const at::Tensor& last_state, const at::Tensor& ids);

  const ClipTextConfig& config() const { return config_; }

  // Low-memory mode: each block reads its weights from `stream` when it runs; the rest (the
  // embeddings, the final norm, the projection) is the caller's to load, all but
  // blocks_prefix() (WeightsInUse's `except`).
  void stream_blocks(std::shared_ptr<const WeightStream> stream) { stream_ = std::move(stream); }
  virtual std::string blocks_prefix() const = 0;  // "encoder.layers.", "transformer.resblocks."

 protected:
  virtual at::Tensor token_embeddings(const at::Tensor& ids) = 0;
  virtual at::Tensor add_positions(const at::Tensor& x) = 0;
  virtual at::Tensor run_block(int index, const at::Tensor& x) = 0;
  virtual torch::nn::Module& block(int index) = 0;
  virtual at::Tensor projection() const { return {}; }

  // Throws InvalidArgument when `ids` has more tokens than the position embedding.
  void check_length(const at::Tensor& ids) const;

  ClipTextConfig config_;
  std::shared_ptr<const WeightStream> stream_;
};

}  // namespace atelier
