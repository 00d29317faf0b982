#pragma once
// OpenAI CLIP's byte-level BPE tokenizer (simple_tokenizer.py), exactly: HTML unescape,
// whitespace collapse, lower-casing, CLIP's pre-split pattern, byte-to-unicode table, merges.
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace atelier {

class ClipTokenizer {
 public:
  static constexpr int kStartToken = 49406;  // <|startoftext|>
  static constexpr int kEndToken = 49407;    // <|endoftext|>, also SD1's padding
  static constexpr int kContextLength = 77;  // framed sequence length
  static constexpr int kChunkLength = 75;    // tokens between the framing tokens

  // Reads the gzipped merges file (bpe_simple_vocab_16e6.txt.gz). Throws Error naming the file.
  explicit ClipTokenizer(const std::filesystem::path& vocab_gz);
  // The tokenizer over the vocabulary shipped in resources/, loaded once.
  static const ClipTokenizer& bundled();

  // BPE ids of `text` (UTF-8), without framing; invalid UTF-8 is replaced, never rejected.
  std::vector<int> encode(std::string_view text) const;
  // SD1 framing with truncation: [start] + ids[:75] + [end], padded to 77 with `end`.
  static std::vector<int> frame(std::span<const int> ids);

  int comma_token() const;  // the id of ",</w>", where A1111 prefers to break long prompts

 private:
  std::vector<int> bpe(const std::string& word) const;  // ids of one pre-split word

  std::unordered_map<std::string, int> ids_;          // vocabulary entry -> id
  std::unordered_map<std::string, int> merge_ranks_;  // "first second" -> rank
  int comma_token_;
  mutable std::mutex cache_mutex_;  // encode() may run on several threads
  mutable std::unordered_map<std::string, std::vector<int>> cache_;  // byte-encoded word -> ids
};

}  // namespace atelier
