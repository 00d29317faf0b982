#pragma once
// The safetensors container format, without LibTorch: header parsing with full validation,
// and serialisation. https://github.com/huggingface/safetensors (format section).
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

enum class DType { F32, F16, BF16, I64, I32, U8 };

std::string_view dtype_name(DType dtype);      // "F32", ...
std::size_t dtype_size(DType dtype);           // bytes per element

struct TensorEntry {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offsets into the data section (after the header)
  std::uint64_t end = 0;
  std::uint64_t element_count() const;
};

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;  // the optional "__metadata__" object
  std::uint64_t data_offset = 0;  // 8 + header length: where the data section starts in the file
};

// Parses and validates the header of a whole safetensors file held in `file`. Every defect
// (header length past the end or absurdly large, invalid JSON, unknown dtype, offsets out of
// range or overlapping, byte length != shape x dtype size, duplicate names) throws FormatError
// whose message starts with `file_label` and names the tensor concerned. Never reads outside `file`.
SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> file,
                                           std::string_view file_label);

// A tensor to serialise: raw little-endian bytes in row-major order.
struct TensorBytes {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::span<const std::uint8_t> data;
};

// What the header says of a tensor: enough to write the header before any data exists.
struct TensorLayout {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
};

// The bytes before the data section (length, JSON header padded to 8 bytes) for `tensors`,
// whose data must follow in name order. Throws InvalidArgument for reserved or repeated names
// and impossible shapes.
std::vector<std::uint8_t> serialize_safetensors_header(std::vector<TensorLayout> tensors,
                                                       const std::map<std::string, std::string>& metadata = {});

// The complete file content for `tensors` (header padded to 8 bytes, as the reference writer does).
std::vector<std::uint8_t> serialize_safetensors(const std::vector<TensorBytes>& tensors,
                                                const std::map<std::string, std::string>& metadata = {});

}  // namespace atelier
