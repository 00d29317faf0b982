#include <catch2/catch.hpp>

#include <cmath>
#include <ostream>
#include <string>

#include "core/text/prompt_and.h"

using atelier::ComposablePart;
using Parts = std::vector<ComposablePart>;

namespace atelier {
// Found by argument-dependent lookup when Catch prints a mismatch.
std::ostream& operator<<(std::ostream& out, const ComposablePart& part) {
  return out << "[\"" << part.text << "\", " << part.weight << "]";
}
}  // namespace atelier

// Expected values are A1111's re_AND.split and re_weight (get_multicond_prompt_list) in Python.

TEST_CASE("split_prompt_and splits at AND as a whole word", "[text][and]") {
  CHECK(atelier::split_prompt_and("a AND b") == Parts{{"a", 1.0}, {" b", 1.0}});
  CHECK(atelier::split_prompt_and("ANDROID AND_x xAND ANDAND") == Parts{{"ANDROID AND_x xAND ANDAND", 1.0}});
  CHECK(atelier::split_prompt_and("caf\u00e9AND b") == Parts{{"caf\u00e9AND b", 1.0}});
  CHECK(atelier::split_prompt_and("a,AND,b") == Parts{{"a,", 1.0}, {",b", 1.0}});
  CHECK(atelier::split_prompt_and("AND") == Parts{{"", 1.0}, {"", 1.0}});
  CHECK(atelier::split_prompt_and("a AND AND b") == Parts{{"a", 1.0}, {"", 1.0}, {" b", 1.0}});
  CHECK(atelier::split_prompt_and("a\u3000AND\u3000b") == Parts{{"a", 1.0}, {"\u3000b", 1.0}});
  CHECK(atelier::split_prompt_and("a\nAND\nb:3\n") == Parts{{"a", 1.0}, {"\nb", 3.0}});
}

TEST_CASE("split_prompt_and reads a final :weight", "[text][and]") {
  CHECK(atelier::split_prompt_and("a:0.5 AND b : 1.5") == Parts{{"a", 0.5}, {" b", 1.5}});
  CHECK(atelier::split_prompt_and("a cat AND  a dog :2 ") == Parts{{"a cat", 1.0}, {"  a dog", 2.0}});
  CHECK(atelier::split_prompt_and("(a:1.2) AND [b:c:3]:0.7") == Parts{{"(a:1.2)", 1.0}, {" [b:c:3]", 0.7}});
  CHECK(atelier::split_prompt_and("x: 1:2") == Parts{{"x: 1", 2.0}});
  CHECK(atelier::split_prompt_and("a: 2 ") == Parts{{"a", 2.0}});
  CHECK(atelier::split_prompt_and("a:+.5") == Parts{{"a", 0.5}});
  CHECK(atelier::split_prompt_and("a:5.") == Parts{{"a", 5.0}});
  CHECK(atelier::split_prompt_and("a:-1") == Parts{{"a", -1.0}});
  CHECK(atelier::split_prompt_and("a:\u0661.\u0665") == Parts{{"a", 1.5}});  // Arabic-Indic digits
}

TEST_CASE("split_prompt_and leaves what is not a weight in the text", "[text][and]") {
  CHECK(atelier::split_prompt_and("a:1.2.3") == Parts{{"a:1.2.3", 1.0}});
  CHECK(atelier::split_prompt_and("a:.") == Parts{{"a:.", 1.0}});
  CHECK(atelier::split_prompt_and("a:") == Parts{{"a:", 1.0}});
  CHECK(atelier::split_prompt_and("a:9e1") == Parts{{"a:9e1", 1.0}});
  CHECK(atelier::split_prompt_and("a:1 b") == Parts{{"a:1 b", 1.0}});
}

TEST_CASE("split_prompt_and gives Python's infinity for a weight past the double range", "[text][and]") {
  Parts parts = atelier::split_prompt_and("a:" + std::string(400, '9'));
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].text == "a");
  CHECK(std::isinf(parts[0].weight));
  CHECK(parts[0].weight > 0);
}
