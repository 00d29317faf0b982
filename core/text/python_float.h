#pragma once
// Python's float() of a decimal string, for the numbers A1111's prompt syntax reads.
#include <string_view>

namespace atelier {

// `[+-]digits[.digits][(e|E)[+-]digits]` in ASCII, either digit run may be empty but not both:
// correctly rounded, ±inf past the double range and ±0 below it, as Python gives.
// Throws InvalidArgument on anything else.
double python_float(std::string_view number);

}  // namespace atelier
