#include "core/text/prompt_chunks.h"

#include <algorithm>
#include <string>

#include "core/error.h"

#include "core/text/prompt_attention.h"

namespace atelier {
namespace {

constexpr int kCommaBacktrack = 20;  // A1111's comma_padding_backtrack default

// The chunk being filled: up to 75 tokens with their weights, not yet framed.
struct OpenChunk {
  std::vector<int> tokens;
  std::vector<float> weights;
  std::vector<EmbeddingFix> fixes;
  int size() const { return static_cast<int>(tokens.size()); }
};

PromptChunk framed(const OpenChunk& open) {
  PromptChunk chunk;
  chunk.tokens.fill(ClipTokenizer::kEndToken);
  chunk.weights.fill(1.0f);
  chunk.tokens[0] = ClipTokenizer::kStartToken;
  std::copy(open.tokens.begin(), open.tokens.end(), chunk.tokens.begin() + 1);
  std::copy(open.weights.begin(), open.weights.end(), chunk.weights.begin() + 1);
  chunk.fixes = open.fixes;
  return chunk;
}

}  // namespace

void EmbeddingWords::add(std::vector<int> ids, int vectors, int index) {
  if (ids.empty()) return;
  auto& words = by_first_id_[ids.front()];
  words.push_back({std::move(ids), vectors, index});
  std::stable_sort(words.begin(), words.end(), [](const Word& a, const Word& b) { return a.ids.size() > b.ids.size(); });
}

std::optional<EmbeddingWords::Found> EmbeddingWords::find_at(std::span<const int> tokens, std::size_t position) const {
  const auto words = by_first_id_.find(tokens[position]);
  if (words == by_first_id_.end()) return std::nullopt;
  for (const auto& word : words->second)
    if (position + word.ids.size() <= tokens.size() &&
        std::equal(word.ids.begin(), word.ids.end(), tokens.begin() + static_cast<std::ptrdiff_t>(position)))
      return Found{word.index, word.vectors, static_cast<int>(word.ids.size())};
  return std::nullopt;
}

TokenizedPrompt tokenize_prompt(const ClipTokenizer& tokenizer, std::string_view prompt,
                                const EmbeddingWords* embeddings) {
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
    const std::vector<int> tokens = tokenizer.encode(fragment.text);
    for (std::size_t position = 0; position < tokens.size();) {
      const int token = tokens[position];
      if (token == tokenizer.comma_token()) {
        last_comma = open.size();
      } else if (open.size() == ClipTokenizer::kChunkLength && last_comma != -1 &&
                 open.size() - last_comma <= kCommaBacktrack) {
        // The chunk is full and a comma is near its end: what follows the comma moves on (an
        // embedding's fix stays behind, as in A1111).
        OpenChunk moved{{open.tokens.begin() + last_comma + 1, open.tokens.end()},
                        {open.weights.begin() + last_comma + 1, open.weights.end()},
                        {}};
        open.tokens.resize(last_comma + 1);
        open.weights.resize(last_comma + 1);
        close_chunk(false);
        open = std::move(moved);
      }
      if (open.size() == ClipTokenizer::kChunkLength) close_chunk(false);
      const auto word = embeddings ? embeddings->find_at(tokens, position) : std::nullopt;
      if (!word) {
        open.tokens.push_back(token);
        open.weights.push_back(static_cast<float>(fragment.weight));
        ++position;
        continue;
      }
      if (word->vectors > ClipTokenizer::kChunkLength)
        throw InvalidArgument("an embedding of " + std::to_string(word->vectors) + " vectors does not fit a prompt chunk of " +
                              std::to_string(ClipTokenizer::kChunkLength) + " tokens");
      if (open.size() + word->vectors > ClipTokenizer::kChunkLength) close_chunk(false);
      open.fixes.push_back({open.size(), word->index});
      open.tokens.insert(open.tokens.end(), word->vectors, 0);
      open.weights.insert(open.weights.end(), word->vectors, static_cast<float>(fragment.weight));
      position += word->length;
    }
  }
  if (open.size() > 0 || result.chunks.empty()) close_chunk(true);
  return result;
}

}  // namespace atelier
