#pragma once
// Matching user-facing names: A1111 spells them one way, people type them another.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace atelier {

// Case-insensitive equality: "euler a" names "Euler a".
inline bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// "a, b, c" for error messages that list the valid choices.
template <typename Range, typename Name>
std::string join_names(const Range& items, Name name) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += name(item);
  }
  return out;
}

}  // namespace atelier
