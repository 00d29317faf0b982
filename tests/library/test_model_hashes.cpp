// A1111's hashes of a model file, checked against SHA-256 of the byte ranges A1111 hashes.
#include "core/io/model_hashes.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/io/sha256.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;

namespace {

std::string sha256_of(const std::vector<std::uint8_t>& bytes, std::size_t from = 0, std::size_t count = std::string::npos) {
  Sha256 hash;
  count = std::min(count, bytes.size() - std::min(from, bytes.size()));
  if (count > 0) hash.update({bytes.data() + from, count});
  return to_hex(hash.finish());
}

// `size` bytes of a pattern, written to `path`.
std::vector<std::uint8_t> write_pattern(const std::filesystem::path& path, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
  return bytes;
}

}  // namespace

TEST_CASE("the old model hash covers 64 KiB from 1 MiB", "[model_hashes]") {
  TempDir dir;
  const auto big = write_pattern(dir / "big.ckpt", 0x100000 + 0x10000 + 777);
  CHECK(a1111_model_hash(dir / "big.ckpt") == sha256_of(big, 0x100000, 0x10000).substr(0, 8));
  // Shorter than 1 MiB + 64 KiB: the shorter tail.
  const auto tail = write_pattern(dir / "tail.ckpt", 0x100000 + 1000);
  CHECK(a1111_model_hash(dir / "tail.ckpt") == sha256_of(tail, 0x100000).substr(0, 8));
  // Shorter than 1 MiB: the empty string.
  write_pattern(dir / "small.ckpt", 5000);
  CHECK(a1111_model_hash(dir / "small.ckpt") == "e3b0c442");
}

TEST_CASE("one read gives the SHA-256, AutoV2 and, for safetensors, the addnet hash", "[model_hashes]") {
  TempDir dir;
  // A header length of 0x20 and then bytes: the data section starts at 8 + 0x20, across a 1 MiB block.
  auto bytes = write_pattern(dir / "net.safetensors", 3 * 0x100000 + 12345);
  bytes[0] = 0x20;
  std::fill(bytes.begin() + 1, bytes.begin() + 8, 0);
  std::ofstream(dir / "net.safetensors", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  const ModelHashes hashes = hash_model_file(dir / "net.safetensors");
  CHECK(hashes.sha256 == sha256_of(bytes));
  CHECK(hashes.sha256 == sha256_file(dir / "net.safetensors"));
  CHECK(hashes.autov2() == hashes.sha256.substr(0, 10));
  CHECK(hashes.addnet == sha256_of(bytes, 8 + 0x20));
  CHECK(hashes.addnet_short() == hashes.addnet.substr(0, 12));
  CHECK(hashes.model_hash == sha256_of(bytes, 0x100000, 0x10000).substr(0, 8));

  // Other extensions have no addnet hash; the name decides, in any case.
  std::filesystem::copy_file(dir / "net.safetensors", dir / "net.ckpt");
  std::filesystem::copy_file(dir / "net.safetensors", dir / "NET.SafeTensors");
  CHECK(hash_model_file(dir / "net.ckpt").addnet.empty());
  CHECK(hash_model_file(dir / "net.ckpt").sha256 == hashes.sha256);
  CHECK(hash_model_file(dir / "NET.SafeTensors").addnet == hashes.addnet);
}

TEST_CASE("hashing refuses what it cannot read, naming the file", "[model_hashes]") {
  TempDir dir;
  CHECK_THROWS_WITH(hash_model_file(dir / "absent.safetensors"), Catch::Contains("absent.safetensors"));
  std::ofstream(dir / "short.safetensors") << "1234";
  CHECK_THROWS_AS(hash_model_file(dir / "short.safetensors"), FormatError);
  std::ofstream(dir / "long.safetensors", std::ios::binary) << std::string("\xff\0\0\0\0\0\0\0{}", 10);
  CHECK_THROWS_WITH(hash_model_file(dir / "long.safetensors"), Catch::Contains("long.safetensors") && Catch::Contains("past the end"));
}
