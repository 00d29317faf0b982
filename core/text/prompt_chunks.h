#pragma once
// A1111's long-prompt handling (modules/sd_hijack_clip.py, tokenize_line): the parsed prompt is
// tokenized fragment by fragment, split into chunks of 75 tokens (backing up to a comma within
// the last 20 tokens), and each chunk is framed to 77 with a weight per token.
#include <array>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/text/clip_tokenizer.h"

namespace atelier {

// Textual-inversion words: each known by the BPE ids of its name and standing for `vectors`
// token positions (A1111's EmbeddingDatabase: matched on ids, longest first, so `name,` and
// a longer word whose ids start with the name's both match).
class EmbeddingWords {
 public:
  // `index` is the caller's number for the embedding; a later word of equal length is tried
  // after an earlier one.
  void add(std::vector<int> ids, int vectors, int index);
  bool empty() const { return by_first_id_.empty(); }

  struct Found {
    int index = 0;
    int vectors = 0;
    int length = 0;  // BPE ids it covers
  };
  std::optional<Found> find_at(std::span<const int> tokens, std::size_t position) const;

 private:
  struct Word {
    std::vector<int> ids;
    int vectors, index;
  };
  std::map<int, std::vector<Word>> by_first_id_;
};

// Where an embedding's vectors go in a chunk: token positions offset + 1, … (after the
// start token), which hold placeholder ids 0.
struct EmbeddingFix {
  int offset = 0;
  int index = 0;

  friend bool operator==(const EmbeddingFix&, const EmbeddingFix&) = default;
};

struct PromptChunk {
  std::array<int, ClipTokenizer::kContextLength> tokens;
  std::array<float, ClipTokenizer::kContextLength> weights;  // 1.0 on the framing tokens
  std::vector<EmbeddingFix> fixes;
};

struct TokenizedPrompt {
  std::vector<PromptChunk> chunks;  // at least one
  int token_count = 0;              // as A1111's counter shows it ("12/75")
};

// An embedding's vectors never straddle two chunks: one that does not fit closes the chunk
// first. A1111 counts each vector as a token. Throws InvalidArgument for an embedding of more
// than 75 vectors.
TokenizedPrompt tokenize_prompt(const ClipTokenizer& tokenizer, std::string_view prompt,
                                const EmbeddingWords* embeddings = nullptr);

}  // namespace atelier
