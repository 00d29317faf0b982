#include "core/text/unicode_text.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/error.h"

namespace atelier::unicode {
namespace {

icu::UnicodeString to_icu(std::u32string_view text) {
  icu::UnicodeString result;
  for (char32_t c : text) result.append(static_cast<UChar32>(c));
  return result;
}

std::u32string from_icu(const icu::UnicodeString& text) {
  std::u32string result;
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    result += static_cast<char32_t>(text.char32At(i));
  }
  return result;
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  // fromUTF8 substitutes U+FFFD for each maximal invalid subsequence, as Python does.
  icu::StringPiece bytes(text.data(), static_cast<int32_t>(text.size()));
  return from_icu(icu::UnicodeString::fromUTF8(bytes));
}

std::string encode_utf8(std::u32string_view text) {
  std::string result;
  to_icu(text).toUTF8String(result);
  return result;
}

std::u32string nfc(std::u32string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString normalized;
  if (U_SUCCESS(status)) normalized = normalizer->normalize(to_icu(text), status);
  if (U_FAILURE(status)) throw Error(std::string("ICU cannot NFC-normalise text: ") + u_errorName(status));
  return from_icu(normalized);
}

std::u32string to_lower(std::u32string_view text) {
  return from_icu(to_icu(text).toLower(icu::Locale::getRoot()));
}

bool is_space(char32_t c) {
  if (u_charType(c) == U_SPACE_SEPARATOR) return true;
  UCharDirection direction = u_charDirection(c);
  return direction == U_WHITE_SPACE_NEUTRAL || direction == U_BLOCK_SEPARATOR ||
         direction == U_SEGMENT_SEPARATOR;
}

bool is_white_space(char32_t c) { return u_isUWhiteSpace(c); }

bool is_letter(char32_t c) { return U_GET_GC_MASK(c) & U_GC_L_MASK; }

bool is_number(char32_t c) { return U_GET_GC_MASK(c) & U_GC_N_MASK; }

bool is_word(char32_t c) {
  return is_letter(c) || u_getNumericValue(c) != U_NO_NUMERIC_VALUE || c == U'_';
}

int decimal_digit(char32_t c) { return u_charDigitValue(c); }

}  // namespace atelier::unicode
