#include "core/text/clip_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <utility>

#include "core/error.h"
#include "core/io/resources.h"
#include "core/text/html_unescape.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

constexpr int kMergeCount = 49152 - 256 - 2;  // simple_tokenizer reads lines[1:49152-256-2+1]

std::string read_gzip(const std::filesystem::path& path) {
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) throw Error("cannot open the CLIP vocabulary " + path.string());
  std::string content;
  std::array<char, 1 << 16> buffer;
  int read = 0;
  while ((read = gzread(file.get(), buffer.data(), buffer.size())) > 0) content.append(buffer.data(), read);
  if (read < 0) throw FormatError("the CLIP vocabulary " + path.string() + " is not a readable gzip file");
  return content;
}

// simple_tokenizer's bytes_to_unicode(): printable bytes stand for themselves, the others for
// U+0100 onwards, so that no BPE symbol is whitespace or a control character. In this order
// the table also gives the first 256 vocabulary entries.
std::vector<std::pair<unsigned char, std::string>> byte_to_unicode() {
  auto printable = [](int byte) {
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
  };
  std::vector<std::pair<unsigned char, std::string>> table;
  for (int byte = 0; byte < 256; ++byte) {
    if (printable(byte)) table.emplace_back(byte, unicode::encode_utf8(std::u32string(1, byte)));
  }
  char32_t stand_in = 0x100;
  for (int byte = 0; byte < 256; ++byte) {
    if (!printable(byte)) table.emplace_back(byte, unicode::encode_utf8(std::u32string(1, stand_in++)));
  }
  return table;
}

const std::array<std::string, 256>& byte_symbols() {
  static const std::array<std::string, 256> symbols = [] {
    std::array<std::string, 256> result;
    for (auto& [byte, symbol] : byte_to_unicode()) result[byte] = symbol;
    return result;
  }();
  return symbols;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return lines;
    start = end + 1;
  }
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  constexpr std::string_view kSpace = " \t\r\v\f";
  for (std::size_t start = line.find_first_not_of(kSpace); start != std::string_view::npos;) {
    std::size_t end = std::min(line.find_first_of(kSpace, start), line.size());
    fields.emplace_back(line.substr(start, end - start));
    start = line.find_first_not_of(kSpace, end);
  }
  return fields;
}

std::u32string strip(std::u32string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && unicode::is_space(text[begin])) ++begin;
  while (end > begin && unicode::is_space(text[end - 1])) --end;
  return std::u32string(text.substr(begin, end - begin));
}

std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string result;
  for (std::size_t i = 0; i < text.size();) {
    if (!unicode::is_white_space(text[i])) {
      result += text[i++];
      continue;
    }
    result += U' ';
    while (i < text.size() && unicode::is_white_space(text[i])) ++i;
  }
  return result;
}

// simple_tokenizer's basic_clean, whitespace_clean and lower(), with NFC standing in for
// ftfy.fix_text. str.strip() trims str.isspace() characters, while the `regex` module's \s
// (the White_Space property) leaves U+001C..U+001F alone.
std::u32string clean(std::string_view text) {
  std::u32string cleaned = html_unescape(html_unescape(unicode::nfc(unicode::decode_utf8(text))));
  return unicode::to_lower(strip(collapse_whitespace(strip(cleaned))));
}

// CLIP's pattern is compiled with IGNORECASE; on lower-cased text this only lets 's' match
// U+017F (long s) too ...
bool starts_with_ignoring_case(std::u32string_view text, std::u32string_view ascii) {
  auto same = [](char32_t a, char32_t c) { return c == a || (a == U's' && c == U'\u017F'); };
  return text.size() >= ascii.size() && std::equal(ascii.begin(), ascii.end(), text.begin(), same);
}

// ... and makes [^\s\p{L}\p{N}] refuse U+0345, whose upper case is a letter: nothing matches it.
bool is_other(char32_t c) {
  return !unicode::is_white_space(c) && !unicode::is_letter(c) && !unicode::is_number(c) && c != U'\u0345';
}

// The length of CLIP's pre-split match at the start of `text`, 0 where nothing matches:
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
std::size_t word_length(std::u32string_view text) {
  static constexpr std::u32string_view kLiterals[] = {U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t",
                                                      U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  for (std::u32string_view literal : kLiterals) {
    if (starts_with_ignoring_case(text, literal)) return literal.size();
  }
  auto run_of = [text](bool (*in_class)(char32_t)) {
    return static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), in_class) - text.begin());
  };
  if (unicode::is_letter(text[0])) return run_of(unicode::is_letter);
  if (unicode::is_number(text[0])) return 1;
  return run_of(is_other);
}

std::vector<std::u32string_view> split_words(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = word_length(text.substr(i));
    if (length == 0) {
      ++i;  // whitespace (and U+0345) separate words
      continue;
    }
    words.push_back(text.substr(i, length));
    i += length;
  }
  return words;
}

// A word's symbols before any merge: its code points, the last one marked as ending the word.
std::vector<std::string> initial_symbols(const std::string& word) {
  std::vector<std::string> symbols;
  for (char byte : word) {
    bool continuation = (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
    if (continuation) {
      symbols.back() += byte;
    } else {
      symbols.emplace_back(1, byte);
    }
  }
  symbols.back() += "</w>";
  return symbols;
}

}  // namespace

ClipTokenizer::ClipTokenizer(const std::filesystem::path& vocab_gz) {
  const std::string content = read_gzip(vocab_gz);
  const std::vector<std::string_view> lines = split_lines(content);
  if (lines.size() < kMergeCount + 1) {
    throw FormatError("the CLIP vocabulary " + vocab_gz.string() + " has " + std::to_string(lines.size()) +
                      " lines; expected a header and " + std::to_string(kMergeCount) + " merges");
  }

  std::vector<std::string> vocabulary;
  for (auto& [byte, symbol] : byte_to_unicode()) vocabulary.push_back(symbol);
  for (int i = 0; i < 256; ++i) vocabulary.push_back(vocabulary[i] + "</w>");
  for (int rank = 0; rank < kMergeCount; ++rank) {
    std::vector<std::string> pair = split_fields(lines[rank + 1]);
    if (pair.size() != 2) {
      throw FormatError("the CLIP vocabulary " + vocab_gz.string() + ": line " + std::to_string(rank + 2) +
                        " is not a merge of two symbols");
    }
    merge_ranks_[pair[0] + ' ' + pair[1]] = rank;
    vocabulary.push_back(pair[0] + pair[1]);
  }
  vocabulary.push_back("<|startoftext|>");
  vocabulary.push_back("<|endoftext|>");

  // As with Python's dict(zip(vocab, range(...))), a later duplicate entry would win.
  for (int id = 0; id < static_cast<int>(vocabulary.size()); ++id) ids_[vocabulary[id]] = id;
  comma_token_ = ids_.at(",</w>");
  cache_ = {{"<|startoftext|>", {kStartToken}}, {"<|endoftext|>", {kEndToken}}};
}

const ClipTokenizer& ClipTokenizer::bundled() {
  static const ClipTokenizer tokenizer(resource_path("clip/bpe_simple_vocab_16e6.txt.gz"));
  return tokenizer;
}

std::vector<int> ClipTokenizer::encode(std::string_view text) const {
  const std::u32string cleaned = clean(text);
  std::vector<int> ids;
  for (std::u32string_view word : split_words(cleaned)) {
    std::string symbols;
    for (unsigned char byte : unicode::encode_utf8(word)) symbols += byte_symbols()[byte];
    std::vector<int> word_ids = bpe(symbols);
    ids.insert(ids.end(), word_ids.begin(), word_ids.end());
  }
  return ids;
}

std::vector<int> ClipTokenizer::bpe(const std::string& word) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto cached = cache_.find(word); cached != cache_.end()) return cached->second;
  }
  std::vector<std::string> symbols = initial_symbols(word);
  while (symbols.size() > 1) {
    // Merge every occurrence of the adjacent pair that was learned first.
    int best_rank = INT_MAX;
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto rank = merge_ranks_.find(symbols[i] + ' ' + symbols[i + 1]);
      if (rank != merge_ranks_.end() && rank->second < best_rank) {
        best_rank = rank->second;
        best = i;
      }
    }
    if (best_rank == INT_MAX) break;
    const std::string first = symbols[best], second = symbols[best + 1];
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(symbols[i++]);
      }
    }
    symbols = std::move(merged);
  }

  std::vector<int> ids;
  for (const std::string& symbol : symbols) ids.push_back(ids_.at(symbol));
  std::lock_guard lock(cache_mutex_);
  cache_.emplace(word, ids);
  return ids;
}

std::vector<int> ClipTokenizer::frame(std::span<const int> ids) {
  std::vector<int> framed{kStartToken};
  auto kept = ids.first(std::min<std::size_t>(ids.size(), kChunkLength));
  framed.insert(framed.end(), kept.begin(), kept.end());
  framed.resize(kContextLength, kEndToken);  // the end token, then padding
  return framed;
}

int ClipTokenizer::comma_token() const { return comma_token_; }

}  // namespace atelier
