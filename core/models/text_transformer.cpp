#include "core/models/text_transformer.h"

#include "core/error.h"

namespace atelier {

std::vector<at::Tensor> TextTransformerImpl::hidden_states(const at::Tensor& ids, int layers,
                                                           const std::vector<TokenVectors>& replaced) {
  check_length(ids);
  auto tokens = token_embeddings(ids.to(at::kLong));
  for (const auto& [position, vectors] : replaced) {
    const int64_t count = std::min(tokens.size(1) - position, vectors.size(0));
    if (count > 0) tokens[0].narrow(0, position, count).copy_(vectors.narrow(0, 0, count));
  }
  std::vector<at::Tensor> states{add_positions(tokens)};
  for (int i = 0; i < layers; ++i) {
    const WeightsInUse in_use(stream_.get(), block(i), blocks_prefix() + std::to_string(i));
    states.push_back(run_block(i, states.back()));
  }
  return states;
}

at::Tensor TextTransformerImpl::forward(const at::Tensor& ids, int clip_skip, const std::vector<TokenVectors>& replaced) {
  if (clip_skip < 1 || clip_skip > config_.num_layers)
    throw InvalidArgument("clip skip must be between 1 and " + std::to_string(config_.num_layers) + ", got " +
                          std::to_string(clip_skip));
  return final_norm(hidden_states(ids, config_.num_layers - (clip_skip - 1), replaced).back());
}

at::Tensor TextTransformerImpl::pooled(const at::Tensor& last_state, const at::Tensor& ids) {
  const at::Tensor weight = projection();
  if (!weight.defined()) throw InvalidArgument("this text encoder has no text projection for a pooled vector");
  const auto rows = at::arange(ids.size(0), ids.options().dtype(at::kLong));
  const auto end_of_text = ids.to(at::kLong).argmax(-1).to(last_state.device());
  return at::matmul(final_norm(last_state).index({rows.to(last_state.device()), end_of_text}), weight);
}

void TextTransformerImpl::check_length(const at::Tensor& ids) const {
  const int64_t length = ids.size(1);
  if (length > config_.max_positions)
    throw InvalidArgument("token sequence of " + std::to_string(length) + " exceeds the text encoder's " +
                          std::to_string(config_.max_positions) + " positions");
}

}  // namespace atelier
