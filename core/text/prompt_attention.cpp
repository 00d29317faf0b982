#include "core/text/prompt_attention.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/error.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

constexpr double kRoundMultiplier = 1.1;
constexpr double kSquareMultiplier = 1 / 1.1;
constexpr std::u32string_view kBreak = U"BREAK";

std::size_t skip_spaces(std::u32string_view text, std::size_t i) {
  while (i < text.size() && unicode::is_space(text[i])) ++i;
  return i;
}

// re.split(r"\s*\bBREAK\b\s*", text): the leftmost match takes the whole whitespace run before
// BREAK and the whole run after it.
std::vector<std::u32string_view> split_on_break(std::u32string_view text) {
  std::vector<std::u32string_view> parts;
  std::size_t part_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t word = skip_spaces(text, i);
    std::size_t after = word + kBreak.size();
    bool boundary_before = word > i || i == 0 || !unicode::is_word(text[i - 1]);
    bool boundary_after = after >= text.size() || !unicode::is_word(text[after]);
    if (boundary_before && text.substr(word).starts_with(kBreak) && boundary_after) {
      parts.push_back(text.substr(part_start, i - part_start));
      i = part_start = skip_spaces(text, after);
    } else {
      i = word > i ? word : i + 1;
    }
  }
  parts.push_back(text.substr(part_start));
  return parts;
}

struct WeightMatch {
  std::u32string_view number;
  std::size_t length;  // of the whole match, ':' to ')'
};

// `:\s*([+-]?[.\d]+)\s*\)` at the ':' that starts `text`.
std::optional<WeightMatch> match_weight(std::u32string_view text) {
  std::size_t number_start = skip_spaces(text, 1);
  std::size_t i = number_start;
  if (i < text.size() && (text[i] == U'+' || text[i] == U'-')) ++i;
  std::size_t digits_start = i;
  while (i < text.size() && (text[i] == U'.' || unicode::decimal_digit(text[i]) >= 0)) ++i;
  if (i == digits_start) return std::nullopt;
  std::size_t number_end = i;
  i = skip_spaces(text, i);
  if (i == text.size() || text[i] != U')') return std::nullopt;
  return WeightMatch{text.substr(number_start, number_end - number_start), i + 1};
}

// Python's float() of the matched number, which may hold any Unicode decimal digits and is
// rejected, as A1111 rejects it, when it is not a number ("1.2.3", ".").
double parse_weight(std::u32string_view number) {
  std::string ascii;
  for (char32_t c : number) {
    int digit = unicode::decimal_digit(c);
    ascii += digit >= 0 ? static_cast<char>('0' + digit) : static_cast<char>(c);
  }
  std::string_view digits = ascii;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  double weight = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), weight);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    throw InvalidArgument("prompt weight \"" + unicode::encode_utf8(number) + "\" is not a number");
  }
  return weight;
}

bool is_plain(char32_t c) { return std::u32string_view(U"\\()[]:").find(c) == std::u32string_view::npos; }

}  // namespace

std::vector<WeightedText> parse_prompt_attention(std::string_view prompt) {
  const std::u32string text = unicode::decode_utf8(prompt);
  std::vector<WeightedText> result;
  std::vector<std::size_t> round_brackets, square_brackets;

  auto multiply_from = [&result](std::size_t start, double multiplier) {
    for (std::size_t i = start; i < result.size(); ++i) result[i].weight *= multiplier;
  };
  auto pop = [](std::vector<std::size_t>& stack) {
    std::size_t top = stack.back();
    stack.pop_back();
    return top;
  };
  auto add_text = [&result](std::u32string_view piece) {
    std::vector<std::u32string_view> parts = split_on_break(piece);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) result.push_back({"BREAK", -1});
      result.push_back({unicode::encode_utf8(parts[i]), 1.0});
    }
  };

  // The tokens of A1111's re_attention, tried in its order at each position.
  for (std::size_t i = 0; i < text.size();) {
    std::u32string_view rest = std::u32string_view(text).substr(i);
    char32_t c = rest[0];
    if (c == U'\\') {
      // \( \) \[ \] \\ stand for the character; a lone backslash leaves an empty fragment.
      bool escape = rest.size() > 1 && std::u32string_view(U"()[]\\").find(rest[1]) != std::u32string_view::npos;
      result.push_back({escape ? unicode::encode_utf8(rest.substr(1, 1)) : "", 1.0});
      i += escape ? 2 : 1;
    } else if (c == U'(') {
      round_brackets.push_back(result.size());
      ++i;
    } else if (c == U'[') {
      square_brackets.push_back(result.size());
      ++i;
    } else if (c == U':') {
      std::optional<WeightMatch> weight = match_weight(rest);
      std::size_t length = weight ? weight->length : 1;
      if (weight && !round_brackets.empty()) {
        multiply_from(pop(round_brackets), parse_weight(weight->number));
      } else {
        add_text(rest.substr(0, length));
      }
      i += length;
    } else if (c == U')' && !round_brackets.empty()) {
      multiply_from(pop(round_brackets), kRoundMultiplier);
      ++i;
    } else if (c == U']' && !square_brackets.empty()) {
      multiply_from(pop(square_brackets), kSquareMultiplier);
      ++i;
    } else {
      auto end = is_plain(c) ? std::find_if_not(rest.begin(), rest.end(), is_plain) : rest.begin() + 1;
      auto length = static_cast<std::size_t>(end - rest.begin());
      add_text(rest.substr(0, length));
      i += length;
    }
  }

  // Unclosed brackets close at the end, in the order they were opened.
  for (std::size_t start : round_brackets) multiply_from(start, kRoundMultiplier);
  for (std::size_t start : square_brackets) multiply_from(start, kSquareMultiplier);

  if (result.empty()) result.push_back({"", 1.0});

  std::vector<WeightedText> merged{result.front()};
  for (std::size_t i = 1; i < result.size(); ++i) {
    if (result[i].weight == merged.back().weight) {
      merged.back().text += result[i].text;
    } else {
      merged.push_back(result[i]);
    }
  }
  return merged;
}

}  // namespace atelier
