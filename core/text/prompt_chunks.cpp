#include "core/text/prompt_chunks.h"

#include <algorithm>

#include "core/text/prompt_attention.h"

namespace atelier {
namespace {

constexpr int kCommaBacktrack = 20;  // A1111's comma_padding_backtrack default

// The chunk being filled: up to 75 tokens with their weights, not yet framed.
struct OpenChunk {
  std::vector<int> tokens;
  std::vector<float> weights;
  int size() const { return static_cast<int>(tokens.size()); }
};

PromptChunk framed(const OpenChunk& open) {
  PromptChunk chunk;
  chunk.tokens.fill(ClipTokenizer::kEndToken);
  chunk.weights.fill(1.0f);
  chunk.tokens[0] = ClipTokenizer::kStartToken;
  std::copy(open.tokens.begin(), open.tokens.end(), chunk.tokens.begin() + 1);
  std::copy(open.weights.begin(), open.weights.end(), chunk.weights.begin() + 1);
  return chunk;
}

}  // namespace

TokenizedPrompt tokenize_prompt(const ClipTokenizer& tokenizer, std::string_view prompt) {
  TokenizedPrompt result;
  OpenChunk open;
  int last_comma = -1;  // position of the last comma in `open`

  auto close_chunk = [&](bool is_last) {
    // A1111 counts full chunks as 75 and the last one by its tokens.
    result.token_count += is_last ? open.size() : ClipTokenizer::kChunkLength;
    result.chunks.push_back(framed(open));
    open = {};
    last_comma = -1;
  };

  for (const WeightedText& fragment : parse_prompt_attention(prompt)) {
    if (fragment.text == "BREAK" && fragment.weight == -1) {
      close_chunk(false);
      continue;
    }
    for (int token : tokenizer.encode(fragment.text)) {
      if (token == tokenizer.comma_token()) {
        last_comma = open.size();
      } else if (open.size() == ClipTokenizer::kChunkLength && last_comma != -1 &&
                 open.size() - last_comma <= kCommaBacktrack) {
        // The chunk is full and a comma is near its end: what follows the comma moves on.
        OpenChunk moved{{open.tokens.begin() + last_comma + 1, open.tokens.end()},
                        {open.weights.begin() + last_comma + 1, open.weights.end()}};
        open.tokens.resize(last_comma + 1);
        open.weights.resize(last_comma + 1);
        close_chunk(false);
        open = std::move(moved);
      }
      if (open.size() == ClipTokenizer::kChunkLength) close_chunk(false);
      open.tokens.push_back(token);
      open.weights.push_back(static_cast<float>(fragment.weight));
    }
  }
  if (open.size() > 0 || result.chunks.empty()) close_chunk(true);
  return result;
}

}  // namespace atelier
