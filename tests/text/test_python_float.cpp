#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/text/python_float.h"

using atelier::python_float;

TEST_CASE("python_float reads the forms Python's float() reads", "[text][float]") {
  CHECK(python_float("2") == 2.0);
  CHECK(python_float("+2") == 2.0);
  CHECK(python_float("-.5") == -0.5);
  CHECK(python_float("5.") == 5.0);
  CHECK(python_float("1.5e-1") == 0.15);
  CHECK(python_float("1.e2") == 100.0);
  CHECK(python_float("0.1") == 0.1);  // correctly rounded
}

TEST_CASE("python_float overflows to infinity and underflows to zero", "[text][float]") {
  CHECK(python_float("1e999") == HUGE_VAL);
  CHECK(python_float("-1e999") == -HUGE_VAL);
  CHECK(python_float(std::string(400, '9')) == HUGE_VAL);
  CHECK(python_float("1e-999") == 0.0);
  CHECK(python_float("0." + std::string(400, '0') + "1") == 0.0);
  CHECK(python_float("123e-99999999999999999999") == 0.0);
  CHECK(std::signbit(python_float("-1e-999")));
}

TEST_CASE("python_float rejects what is not a decimal number", "[text][float]") {
  for (const char* text : {"", "+", ".", "1.2.3", "inf", "nan", "0x10", "--1", "+-1", " 1", "1e"}) {
    INFO(text);
    CHECK_THROWS_AS(python_float(text), atelier::InvalidArgument);
  }
}
