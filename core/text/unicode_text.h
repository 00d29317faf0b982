#pragma once
// Python's view of text, over code points and backed by ICU: what CLIP's tokenizer and A1111's
// prompt parser see when they classify, normalise or lower-case characters.
#include <string>
#include <string_view>

namespace atelier::unicode {

// UTF-8 -> code points; each invalid sequence becomes U+FFFD (as Python's errors="replace").
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

std::u32string nfc(std::u32string_view text);       // canonical composition
std::u32string to_lower(std::u32string_view text);  // str.lower(): full mappings, final sigma

bool is_space(char32_t c);        // str.isspace(), re's \s: category Zs or bidi class WS, B, S
bool is_white_space(char32_t c);  // the White_Space property: the `regex` module's \s
bool is_letter(char32_t c);       // \p{L}
bool is_number(char32_t c);       // \p{N}
bool is_word(char32_t c);         // re's \w: str.isalnum() or '_'
int decimal_digit(char32_t c);    // re's \d (category Nd): its value, or -1

}  // namespace atelier::unicode
