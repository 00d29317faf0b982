#pragma once
// Safetensors files as LibTorch tensors: memory-mapped, validated, zero-copy where possible.
#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/safetensors_format.h"
#include "core/io/tensor_source.h"

namespace atelier {

class MappedFile;

class SafetensorsFile : public TensorSource {
 public:
  // Maps and validates `path`; throws FormatError naming the file (and tensor) on any defect.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const override;
  const std::vector<TensorEntry>& entries() const override { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const TensorEntry* find(std::string_view name) const override;  // nullptr when absent

  // A CPU tensor viewing the mapping (zero-copy; it keeps the mapping alive). Read-only in
  // spirit: the mapping is PROT_READ. Throws FormatError when the name is absent.
  using TensorSource::tensor;
  at::Tensor tensor(std::string_view name) const override;

  // Drops tensor `name`'s pages from resident memory once it has been copied out, so that a
  // loader never holds the mapping and the converted weights in memory together. Tensors still
  // viewing it stay valid (the pages are read back from the file).
  void release(std::string_view name) const override;

 private:
  std::shared_ptr<MappedFile> file_;
  SafetensorsHeader header_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

at::ScalarType to_scalar_type(DType dtype);
DType to_dtype(at::ScalarType type);  // throws Error for types safetensors files here cannot hold

// Writes the named tensors (any device, made contiguous on the CPU) atomically: a temporary
// file beside `path`, fsync, rename. Throws Error naming the file on failure.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Writes tensors too large to hold together, one at a time and atomically: `produce` is called
// once per layout, in name order, and must return a tensor of exactly that layout (any device
// and type; it is converted). Only the tensor being written is held.
void write_safetensors_streamed(const std::filesystem::path& path, std::vector<TensorLayout> layouts,
                                const std::function<at::Tensor(const TensorLayout&)>& produce,
                                const std::map<std::string, std::string>& metadata = {});

}  // namespace atelier
