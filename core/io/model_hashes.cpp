#include "core/io/model_hashes.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/io/sha256.h"

namespace atelier {
namespace {

constexpr std::uint64_t kOldHashOffset = 0x100000;
constexpr std::size_t kOldHashLength = 0x10000;
constexpr std::size_t kBlock = 1 << 20;

std::ifstream open_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  return in;
}

std::span<const std::uint8_t> as_bytes(const std::vector<char>& buffer, std::size_t count, std::size_t from = 0) {
  return {reinterpret_cast<const std::uint8_t*>(buffer.data()) + from, count - from};
}

// Where the data section of a safetensors file starts: 8 + the little-endian header length.
std::uint64_t data_section_offset(const std::filesystem::path& path, std::uintmax_t file_size) {
  std::ifstream in = open_model(path);
  std::uint8_t length[8] = {};
  in.read(reinterpret_cast<char*>(length), sizeof length);
  if (in.gcount() != sizeof length) throw FormatError(path.string() + ": too short for a safetensors header");
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | length[i];
  if (header > file_size - sizeof length)
    throw FormatError(path.string() + ": safetensors header length " + std::to_string(header) + " is past the end of the file");
  return header + sizeof length;
}

}  // namespace

bool has_safetensors_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".safetensors";
}

ModelHashes hash_model_file(const std::filesystem::path& path) {
  const bool safetensors = has_safetensors_extension(path);
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw Error("cannot read " + path.string() + ": " + error.message());
  const std::uint64_t data_offset = safetensors ? data_section_offset(path, size) : 0;

  std::ifstream in = open_model(path);
  Sha256 whole, data;
  std::vector<char> buffer(kBlock);
  std::uint64_t position = 0;  // of buffer[0] in the file
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto count = static_cast<std::size_t>(in.gcount());
    whole.update(as_bytes(buffer, count));
    if (safetensors && position + count > data_offset) {
      const std::size_t from = position >= data_offset ? 0 : static_cast<std::size_t>(data_offset - position);
      data.update(as_bytes(buffer, count, from));
    }
    position += count;
  }
  if (in.bad()) throw Error("error reading " + path.string());

  ModelHashes hashes;
  hashes.sha256 = to_hex(whole.finish());
  if (safetensors) hashes.addnet = to_hex(data.finish());
  hashes.model_hash = a1111_model_hash(path);
  return hashes;
}

std::string a1111_model_hash(const std::filesystem::path& path) {
  std::ifstream in = open_model(path);
  Sha256 hash;
  std::vector<char> buffer(kOldHashLength);
  // A seek past the end reads nothing, as Python's does: the hash of the empty string.
  if (in.seekg(static_cast<std::streamoff>(kOldHashOffset))) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(as_bytes(buffer, static_cast<std::size_t>(in.gcount())));
  }
  return to_hex(hash.finish()).substr(0, 8);
}

}  // namespace atelier
