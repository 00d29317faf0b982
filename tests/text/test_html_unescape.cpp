#include <catch2/catch.hpp>

#include "core/text/html_unescape.h"
#include "core/text/unicode_text.h"

namespace {

// Expected values are Python 3.11's html.unescape of the same input.
std::string unescape(const std::string& text) {
  using namespace atelier::unicode;
  return encode_utf8(atelier::html_unescape(decode_utf8(text)));
}

}  // namespace

TEST_CASE("html_unescape decodes named and numeric references", "[text][html]") {
  CHECK(unescape("&amp; &lt; &gt; &quot; &#39; &#x27; &#X27;") == "& < > \" ' ' '");
  CHECK(unescape("&amp;amp;") == "&amp;");  // one pass only
  CHECK(unescape("&&amp;") == "&&");
  CHECK(unescape("x&#65") == "xA");
  CHECK(unescape("&#65a") == "Aa");
  CHECK(unescape("&acE;") == "\u223e\u0333");  // two code points
  CHECK(unescape("&NotNestedLessLess;") == "\u2aa1\u0338");
}

TEST_CASE("html_unescape falls back to the longest legacy name", "[text][html]") {
  CHECK(unescape("&ampx") == "&x");
  CHECK(unescape("&not") == "\u00ac");
  CHECK(unescape("&notin;") == "\u2209");
  CHECK(unescape("&notit;") == "\u00acit;");
  CHECK(unescape("&amp\u00e9") == "&\u00e9");
  CHECK(unescape("&ab") == "&ab");
  CHECK(unescape("&unknown;") == "&unknown;");
  CHECK(unescape("&amp" + std::string(40, 'x')) == "&" + std::string(40, 'x'));  // 32-character window
}

TEST_CASE("html_unescape applies HTML5's rules to odd numeric references", "[text][html]") {
  CHECK(unescape("&#128;&#x9d;") == "\u20ac\u009d");  // Windows-1252
  CHECK(unescape("&#13;") == "\r");
  CHECK(unescape("&#0;&#xD800;&#x110000;&#99999999999999999999;") == "\ufffd\ufffd\ufffd\ufffd");
  CHECK(unescape("a&#1;&#x7f;&#xFFFE;&#x10FFFF;b") == "ab");
}

TEST_CASE("html_unescape leaves what is not a reference", "[text][html]") {
  for (std::string text : {"&#", "&#x;", "&#xg", "& amp;", "&;", "&", "plain"}) CHECK(unescape(text) == text);
}
