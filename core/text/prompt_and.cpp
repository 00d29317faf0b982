#include "core/text/prompt_and.h"

#include "core/text/python_float.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

constexpr std::u32string_view kAnd = U"AND";

bool word_at(std::u32string_view text, std::size_t i) { return i < text.size() && unicode::is_word(text[i]); }

// re.split(r"\bAND\b", text).
std::vector<std::u32string_view> split_on_and(std::u32string_view text) {
  std::vector<std::u32string_view> parts;
  std::size_t part_start = 0;
  for (std::size_t i = 0; i + kAnd.size() <= text.size();) {
    bool boundary_before = i == 0 || !word_at(text, i - 1);
    if (boundary_before && text.substr(i).starts_with(kAnd) && !word_at(text, i + kAnd.size())) {
      parts.push_back(text.substr(part_start, i - part_start));
      i = part_start = i + kAnd.size();
    } else {
      ++i;
    }
  }
  parts.push_back(text.substr(part_start));
  return parts;
}

std::u32string_view trim_end(std::u32string_view text) {
  while (!text.empty() && unicode::is_space(text.back())) text.remove_suffix(1);
  return text;
}

// `[-+]?(?:\d+\.?|\d*\.\d+)` as the whole of `text`, with \d any Unicode decimal digit; returns
// it in ASCII, or "" where it does not match.
std::string ascii_number(std::u32string_view text) {
  std::string ascii;
  if (!text.empty() && (text.front() == U'+' || text.front() == U'-')) {
    ascii += static_cast<char>(text.front());
    text.remove_prefix(1);
  }
  bool digit = false, point = false;
  for (char32_t c : text) {
    int value = unicode::decimal_digit(c);
    if (value >= 0) {
      digit = true;
      ascii += static_cast<char>('0' + value);
    } else if (c == U'.' && !point) {
      point = true;
      ascii += '.';
    } else {
      return "";
    }
  }
  return digit ? ascii : "";
}

}  // namespace

// Each part as re_weight reads it: `^((?:\s|.)*?)(?:\s*:\s*(NUMBER))?\s*$`. The lazy text stops
// at the whitespace before the last ':' when a number alone follows it, else before the trailing
// whitespace.
std::vector<ComposablePart> split_prompt_and(std::string_view prompt) {
  const std::u32string text = unicode::decode_utf8(prompt);
  std::vector<ComposablePart> parts;
  for (std::u32string_view part : split_on_and(text)) {
    part = trim_end(part);
    double weight = 1.0;
    std::size_t colon = part.rfind(U':');
    if (colon != std::u32string_view::npos) {
      std::u32string_view after = part.substr(colon + 1);
      while (!after.empty() && unicode::is_space(after.front())) after.remove_prefix(1);
      std::string number = ascii_number(after);
      if (!number.empty()) {
        weight = python_float(number);
        part = trim_end(part.substr(0, colon));
      }
    }
    parts.push_back({unicode::encode_utf8(part), weight});
  }
  return parts;
}

}  // namespace atelier
