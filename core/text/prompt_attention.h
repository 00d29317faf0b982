#pragma once
// A1111's prompt emphasis syntax (modules/prompt_parser.py, parse_prompt_attention).
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

struct WeightedText {
  std::string text;
  double weight;  // -1 marks a BREAK
  bool operator==(const WeightedText&) const = default;
};

// `(x)` x1.1, `[x]` x1/1.1, `(x:W)` xW, nesting multiplies, unbalanced openers closed at the end,
// escapes \( \) \[ \] \\, BREAK -> {"BREAK", -1}; equal neighbours merged; "" -> {{"", 1.0}}.
// Throws InvalidArgument where an explicit weight is not a number, e.g. `(x:1.2.3)`, as A1111 fails.
std::vector<WeightedText> parse_prompt_attention(std::string_view prompt);

}  // namespace atelier
