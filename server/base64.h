#pragma once
// Base64 as A1111's API carries images: standard alphabet with padding out; in, an optional
// data URL prefix ("data:image/png;base64,") and line breaks are accepted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::server {

std::string base64_encode(const std::vector<std::uint8_t>& bytes);

// The bytes of `text` (a data URL prefix skipped, whitespace ignored, padding optional);
// nullopt when it holds another character or a truncated group.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace atelier::server
