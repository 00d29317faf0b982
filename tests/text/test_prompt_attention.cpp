#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/text/prompt_attention.h"
#include "support/fixtures.h"

using atelier::WeightedText;
using Parsed = std::vector<WeightedText>;

namespace atelier {
// Found by argument-dependent lookup when Catch prints a mismatch (through glog's operator<< for
// vectors, which LibTorch's headers bring in).
std::ostream& operator<<(std::ostream& out, const WeightedText& item) {
  return out << "[\"" + item.text + "\", " << Catch::StringMaker<double>::convert(item.weight) << "]";
}
}  // namespace atelier

TEST_CASE("parse_prompt_attention matches A1111 on the reference table, weights bit for bit",
          "[text][attention]") {
  const auto& table = atelier::test::reference_json().at("prompt_attention_parse");
  REQUIRE(table.size() == 20);
  for (const auto& row : table) {
    const std::string input = row.at("input");
    INFO("input: " << input);
    Parsed expected;
    for (const auto& item : row.at("output")) expected.push_back({item.at(0).get<std::string>(), item.at(1).get<double>()});
    CHECK(atelier::parse_prompt_attention(input) == expected);
  }
}

// Expected values below are A1111's parse_prompt_attention (current re_attention) in Python.
TEST_CASE("parse_prompt_attention reads explicit weights as Python's float() does", "[text][attention]") {
  CHECK(atelier::parse_prompt_attention("(word: 1.5 )") == Parsed{{"word", 1.5}});
  CHECK(atelier::parse_prompt_attention("(a:+.5)") == Parsed{{"a", 0.5}});
  CHECK(atelier::parse_prompt_attention("(a:1.)") == Parsed{{"a", 1.0}});
  CHECK(atelier::parse_prompt_attention("(a:\u0661.\u0665)") == Parsed{{"a", 1.5}});  // Arabic-Indic digits
  CHECK(atelier::parse_prompt_attention("a:1.2.3)") == Parsed{{"a:1.2.3)", 1.0}});   // no '(' open
  CHECK(atelier::parse_prompt_attention("[a:1.5)") == Parsed{{"a:1.5)", 1 / 1.1}});
  CHECK_THROWS_AS(atelier::parse_prompt_attention("(a:1.2.3)"), atelier::InvalidArgument);
  CHECK_THROWS_AS(atelier::parse_prompt_attention("(a:.)"), atelier::InvalidArgument);
}

TEST_CASE("parse_prompt_attention multiplies crossed brackets in A1111's order", "[text][attention]") {
  CHECK(atelier::parse_prompt_attention("a (b [c) d]") ==
        Parsed{{"a ", 1.0}, {"b ", 1.1}, {"c", 1.1 * (1 / 1.1)}, {" d", 1 / 1.1}});
}

TEST_CASE("parse_prompt_attention drops a lone backslash", "[text][attention]") {
  CHECK(atelier::parse_prompt_attention("a\\b") == Parsed{{"ab", 1.0}});
}

TEST_CASE("parse_prompt_attention splits BREAK only as a whole word", "[text][attention]") {
  CHECK(atelier::parse_prompt_attention("xBREAK y") == Parsed{{"xBREAK y", 1.0}});
  CHECK(atelier::parse_prompt_attention("a_BREAK b") == Parsed{{"a_BREAK b", 1.0}});
  CHECK(atelier::parse_prompt_attention("a,BREAK,b") == Parsed{{"a,", 1.0}, {"BREAK", -1}, {",b", 1.0}});
  CHECK(atelier::parse_prompt_attention("a\u3000BREAK\u3000b") == Parsed{{"a", 1.0}, {"BREAK", -1}, {"b", 1.0}});
  CHECK(atelier::parse_prompt_attention("BREAK") == Parsed{{"", 1.0}, {"BREAK", -1}, {"", 1.0}});
  CHECK(atelier::parse_prompt_attention("a BREAK BREAK b") ==
        Parsed{{"a", 1.0}, {"BREAK", -1}, {"", 1.0}, {"BREAK", -1}, {"b", 1.0}});
  // Inside brackets BREAK is weighted like any text and so stops being a BREAK.
  CHECK(atelier::parse_prompt_attention("(BREAK)") == Parsed{{"", 1.1}, {"BREAK", -1.1}, {"", 1.1}});
}
