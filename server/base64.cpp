#include "server/base64.h"

#include <array>

namespace atelier::server {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> kValues = [] {
  std::array<int, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) values[static_cast<unsigned char>(kAlphabet[i])] = int(i);
  return values;
}();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = std::uint32_t(bytes[i]) << 16;
    if (n > 1) group |= std::uint32_t(bytes[i + 1]) << 8;
    if (n > 2) group |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  // A1111 takes what follows the first comma of a data URL.
  if (text.starts_with("data:")) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    text.remove_prefix(comma + 1);
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int count = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '='; ++i) {
    if (is_space(text[i])) continue;
    const int value = kValues[static_cast<unsigned char>(text[i])];
    if (value < 0) return std::nullopt;
    group = group << 6 | std::uint32_t(value);
    if (++count == 4) {
      out.push_back(std::uint8_t(group >> 16));
      out.push_back(std::uint8_t(group >> 8));
      out.push_back(std::uint8_t(group));
      group = 0;
      count = 0;
    }
  }
  for (; i < text.size(); ++i)  // only padding and whitespace may follow the data
    if (text[i] != '=' && !is_space(text[i])) return std::nullopt;
  if (count == 1) return std::nullopt;
  if (count == 2) out.push_back(std::uint8_t(group >> 4));
  if (count == 3) {
    out.push_back(std::uint8_t(group >> 10));
    out.push_back(std::uint8_t(group >> 2));
  }
  return out;
}

}  // namespace atelier::server
