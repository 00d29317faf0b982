#pragma once
// Python's html.unescape: numeric and named character references under the HTML5 rules, with
// its table of named references (html_entities.inc) and its fallback to legacy prefixes.
#include <string>
#include <string_view>

namespace atelier {

std::u32string html_unescape(std::u32string_view text);

}  // namespace atelier
