#pragma once
// A1111's composable diffusion syntax (modules/prompt_parser.py, get_multicond_prompt_list):
// `a cat AND a dog:0.5` is two prompts, each with its weight.
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

struct ComposablePart {
  std::string text;
  double weight;
  bool operator==(const ComposablePart&) const = default;
};

// Splits at every AND that is a whole word (re's \bAND\b), keeping empty parts. Each part keeps
// its leading space and loses its trailing one; a final `:W` (spaces allowed around the colon, W
// as `1`, `1.`, `.5`, `-2`, in any Unicode digits) is its weight, else 1. Schedule each part
// (prompt_schedule) on its own.
std::vector<ComposablePart> split_prompt_and(std::string_view prompt);

}  // namespace atelier
