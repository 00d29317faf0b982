#pragma once
// SHA-256 (FIPS 180-4), for model hashes as A1111 and Civitai compute them.
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace atelier {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  std::array<std::uint8_t, 32> finish();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

std::string to_hex(std::span<const std::uint8_t> bytes);
// Not empty, and nothing but hex digits (any case).
bool is_hex(std::string_view text);

// The SHA-256 of a whole file, hex. Throws Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// A1111's "AutoV2" model hash: the first 10 hex digits of the file's SHA-256.
std::string autov2_hash(const std::filesystem::path& path);

}  // namespace atelier
