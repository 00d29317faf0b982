#pragma once
// A1111's long-prompt handling (modules/sd_hijack_clip.py, tokenize_line): the parsed prompt is
// tokenized fragment by fragment, split into chunks of 75 tokens (backing up to a comma within
// the last 20 tokens), and each chunk is framed to 77 with a weight per token.
#include <array>
#include <string_view>
#include <vector>

#include "core/text/clip_tokenizer.h"

namespace atelier {

struct PromptChunk {
  std::array<int, ClipTokenizer::kContextLength> tokens;
  std::array<float, ClipTokenizer::kContextLength> weights;  // 1.0 on the framing tokens
};

struct TokenizedPrompt {
  std::vector<PromptChunk> chunks;  // at least one
  int token_count = 0;              // as A1111's counter shows it ("12/75")
};

TokenizedPrompt tokenize_prompt(const ClipTokenizer& tokenizer, std::string_view prompt);

}  // namespace atelier
