#include "core/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/mapped_file.h"

namespace atelier {

// Safetensors data is little-endian; tensors view it in place.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(std::make_shared<MappedFile>(path)),
      header_(parse_safetensors_header(file_->bytes(), path.string())) {
  for (std::size_t i = 0; i < header_.tensors.size(); ++i) index_.emplace(header_.tensors[i].name, i);
}

const std::filesystem::path& SafetensorsFile::path() const { return file_->path(); }

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
  auto found = index_.find(name);
  return found == index_.end() ? nullptr : &header_.tensors[found->second];
}

at::Tensor SafetensorsFile::tensor(std::string_view name) const {
  const TensorEntry* entry = find(name);
  if (!entry) throw FormatError(path().string() + ": no tensor '" + std::string(name) + "'");
  const std::uint8_t* data = file_->bytes().data() + header_.data_offset + entry->begin;
  const auto options = at::TensorOptions().dtype(to_scalar_type(entry->dtype));

  // A header whose length is not a multiple of 8 misaligns the data section, and ATen's
  // kernels assume element-aligned storage: such tensors are copied out instead of viewed.
  if (reinterpret_cast<std::uintptr_t>(data) % dtype_size(entry->dtype) != 0) {
    at::Tensor copy = at::empty(entry->shape, options);
    std::memcpy(copy.data_ptr(), data, entry->end - entry->begin);
    return copy;
  }
  // from_blob wants a mutable pointer, but the pages are mapped PROT_READ: a mapped tensor must
  // never be written (in-place ops fault). The deleter keeps the mapping alive with the tensor.
  return at::from_blob(
      const_cast<std::uint8_t*>(data), entry->shape, [file = file_](void*) {}, options);
}

void SafetensorsFile::release(std::string_view name) const {
  if (const TensorEntry* entry = find(name))
    file_->release(file_->bytes().subspan(header_.data_offset + entry->begin, entry->end - entry->begin));
}

at::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::U8:
      return at::kByte;
  }
  throw Error("unknown safetensors dtype");
}

DType to_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kLong:
      return DType::I64;
    case at::kInt:
      return DType::I32;
    case at::kByte:
      return DType::U8;
    default:
      throw InvalidArgument(std::string("type ") + at::toString(type) + " cannot be stored in safetensors");
  }
}

void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string where = "cannot write " + path.string() + ": ";
  std::vector<at::Tensor> contiguous;  // keeps the bytes alive while serialising
  std::vector<TensorBytes> entries;
  contiguous.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    DType dtype;
    try {
      dtype = to_dtype(tensor.scalar_type());
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(where + "tensor '" + name + "': " + e.what());
    }
    const at::Tensor& cpu = contiguous.emplace_back(tensor.to(at::kCPU).contiguous());
    entries.push_back(
        {name, dtype, cpu.sizes().vec(), {static_cast<const std::uint8_t*>(cpu.data_ptr()), cpu.nbytes()}});
  }
  std::vector<std::uint8_t> content;
  try {
    content = serialize_safetensors(entries, metadata);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(where + e.what());
  }
  write_file_atomically(path, content);
}

void write_safetensors_streamed(const std::filesystem::path& path, std::vector<TensorLayout> layouts,
                                const std::function<at::Tensor(const TensorLayout&)>& produce,
                                const std::map<std::string, std::string>& metadata) {
  std::vector<std::uint8_t> header;
  try {
    header = serialize_safetensors_header(layouts, metadata);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("cannot write " + path.string() + ": " + e.what());
  }
  std::sort(layouts.begin(), layouts.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  write_file_atomically(path, [&](const ByteSink& sink) {
    sink(header);
    for (const TensorLayout& layout : layouts) {
      const at::Tensor tensor = produce(layout).to(at::kCPU, to_scalar_type(layout.dtype)).contiguous();
      if (tensor.sizes() != at::IntArrayRef(layout.shape))
        throw InvalidArgument("cannot write " + path.string() + ": tensor '" + layout.name +
                              "' was produced with the wrong shape");
      sink({static_cast<const std::uint8_t*>(tensor.data_ptr()), tensor.nbytes()});
    }
  });
}

}  // namespace atelier
