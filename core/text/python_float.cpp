#include "core/text/python_float.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "core/error.h"

namespace atelier {

double python_float(std::string_view number) {
  std::string_view digits = number;
  bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end != digits.data() + digits.size() || digits.empty() || digits.front() == '-' ||
      digits.find_first_not_of("0123456789.eE+-") != std::string_view::npos ||
      (error != std::errc() && error != std::errc::result_out_of_range)) {
    throw InvalidArgument("\"" + std::string(number) + "\" is not a number");
  }
  if (error == std::errc::result_out_of_range) {
    // from_chars leaves the value alone; the decimal exponent of the leading nonzero digit says
    // whether it overflowed or underflowed.
    std::size_t e = digits.find_first_of("eE");
    long long exponent = 0;
    if (e != std::string_view::npos) {
      std::string_view power = digits.substr(e + 1);
      bool power_negative = power.front() == '-';
      if (power.front() == '+' || power.front() == '-') power.remove_prefix(1);
      for (char c : power) exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000'000LL);
      if (power_negative) exponent = -exponent;
    }
    std::string_view mantissa = digits.substr(0, e);
    std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    std::size_t first = mantissa.find_first_of("123456789");
    exponent += first < point ? static_cast<long long>(point - first) - 1 : -static_cast<long long>(first - point);
    value = exponent > 0 ? HUGE_VAL : 0.0;
  }
  return negative ? -value : value;
}

}  // namespace atelier
