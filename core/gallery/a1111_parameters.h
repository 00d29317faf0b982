#pragma once
// AUTOMATIC1111's "parameters" text (its "infotext"), which A1111 and many other tools write
// into their PNGs and paste between each other:
//
//   <prompt, possibly several lines>
//   Negative prompt: <negative prompt, possibly several lines>
//   Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atelier {

struct A1111Parameters {
  std::string prompt;
  std::string negative_prompt;
  // The settings line, in order and as text: {"Steps", "20"}, {"Size", "512x512"}, ...
  std::vector<std::pair<std::string, std::string>> fields;

  friend bool operator==(const A1111Parameters&, const A1111Parameters&) = default;
};

// As A1111's create_infotext: the "Negative prompt" line only when there is one, and values
// containing ',', ':' or a newline as JSON strings (so are empty or space-padded values and
// ones starting with '"', which A1111's parser would otherwise alter). Throws InvalidArgument
// for a field name A1111 cannot read back (it must start with a letter, digit or '_' and
// continue with those, spaces, '-' or '/'). A1111 only recognises a settings line of at least
// 3 fields.
std::string format_a1111_parameters(const A1111Parameters& parameters);

// As A1111's parse_generation_parameters: the last line is the settings line when it holds at
// least 3 "key: value" pairs; the lines before it are the prompt, up to a line that starts
// with "Negative prompt:", which begins the negative prompt. Quoted values are unquoted; other
// values are kept verbatim (A1111's defaults for absent fields are the caller's business).
A1111Parameters parse_a1111_parameters(std::string_view text);

}  // namespace atelier
