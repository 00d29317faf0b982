#include "core/text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace atelier {
namespace {

struct NamedReference {
  std::string_view name;
  char32_t first;
  char32_t second;  // 0 when the reference stands for one code point
};

constexpr NamedReference kNamedReferences[] = {
#include "core/text/html_entities.inc"
};

// What HTML5 makes of &#x80; .. &#x9F;: the Windows-1252 characters (five stay as they are).
constexpr char32_t kWindows1252[32] = {
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

constexpr std::size_t kMaxNameLength = 32;  // html._charref reads at most 32 name characters
constexpr uint32_t kBeyondUnicode = 0x110000;

// The value of `c` as a digit in `base` (10 or 16), or -1.
int digit_value(char32_t c, int base) {
  int value = -1;
  if (c >= U'0' && c <= U'9') value = static_cast<int>(c - U'0');
  if (c >= U'a' && c <= U'f') value = static_cast<int>(c - U'a') + 10;
  if (c >= U'A' && c <= U'F') value = static_cast<int>(c - U'A') + 10;
  return value < base ? value : -1;
}

bool ends_name(char32_t c) {
  return std::u32string_view(U"\t\n\f <&#;").find(c) != std::u32string_view::npos;
}

// Python's _invalid_codepoints: references to these vanish.
bool is_dropped_code_point(uint32_t code) {
  return (code >= 0x1 && code <= 0x8) || code == 0xB || (code >= 0xE && code <= 0x1F) ||
         (code >= 0x7F && code <= 0x9F) || (code >= 0xFDD0 && code <= 0xFDEF) || (code & 0xFFFE) == 0xFFFE;
}

// The length of html._charref's match at the '&' that starts `text`, or 0 where it has none:
// &#[0-9]+;? | &#[xX][0-9a-fA-F]+;? | &[^\t\n\f <&#;]{1,32};?
std::size_t reference_length(std::u32string_view text) {
  std::size_t end = 1;
  if (end < text.size() && text[end] == U'#') {
    bool hex = end + 1 < text.size() && (text[end + 1] == U'x' || text[end + 1] == U'X');
    int base = hex ? 16 : 10;
    std::size_t digits = hex ? 3 : 2;
    end = digits;
    while (end < text.size() && digit_value(text[end], base) >= 0) ++end;
    if (end == digits) return 0;
  } else {
    while (end < text.size() && end <= kMaxNameLength && !ends_name(text[end])) ++end;
    if (end == 1) return 0;
  }
  if (end < text.size() && text[end] == U';') ++end;
  return end;
}

// html._replace_charref for &#N; and &#xN; (`digits` may end with the ';').
void append_numeric(std::u32string& out, std::u32string_view digits, int base) {
  uint32_t code = 0;
  for (char32_t c : digits) {
    if (c == U';') break;
    code = std::min(code * base + digit_value(c, base), kBeyondUnicode);  // only "too large" matters
  }
  if (code == 0) {
    out += U'\uFFFD';
  } else if (code == 0x0D) {
    out += U'\r';
  } else if (code >= 0x80 && code <= 0x9F) {
    out += kWindows1252[code - 0x80];
  } else if ((code >= 0xD800 && code <= 0xDFFF) || code >= kBeyondUnicode) {
    out += U'\uFFFD';
  } else if (!is_dropped_code_point(code)) {
    out += static_cast<char32_t>(code);
  }
}

const NamedReference* find_named(std::u32string_view name) {
  std::string ascii;
  for (char32_t c : name) {
    if (c > 0x7F) return nullptr;
    ascii += static_cast<char>(c);
  }
  auto before = [](const NamedReference& entry, const std::string& key) { return entry.name < key; };
  auto found = std::lower_bound(std::begin(kNamedReferences), std::end(kNamedReferences), ascii, before);
  return found != std::end(kNamedReferences) && found->name == ascii ? found : nullptr;
}

void append_named(std::u32string& out, std::u32string_view name) {
  auto append_reference = [&out](const NamedReference& reference) {
    out += reference.first;
    if (reference.second != 0) out += reference.second;
  };
  if (const NamedReference* reference = find_named(name)) {
    append_reference(*reference);
    return;
  }
  // The longest prefix of two or more characters that names a reference (the legacy names
  // without ';' such as "&ampx"); the rest stays as text.
  for (std::size_t length = name.size() - 1; length >= 2; --length) {
    if (const NamedReference* reference = find_named(name.substr(0, length))) {
      append_reference(*reference);
      out += name.substr(length);
      return;
    }
  }
  out += U'&';
  out += name;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = text[i] == U'&' ? reference_length(text.substr(i)) : 0;
    if (length == 0) {
      out += text[i++];
      continue;
    }
    std::u32string_view body = text.substr(i + 1, length - 1);  // without the '&'
    if (body[0] != U'#') {
      append_named(out, body);
    } else if (body[1] == U'x' || body[1] == U'X') {
      append_numeric(out, body.substr(2), 16);
    } else {
      append_numeric(out, body.substr(1), 10);
    }
    i += length;
  }
  return out;
}

}  // namespace atelier
