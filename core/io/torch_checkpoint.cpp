#include "core/io/torch_checkpoint.h"

#include <c10/util/Exception.h>

#include <bit>
#include <cstring>
#include <map>
#include <memory>

#include "core/error.h"
#include "core/io/mapped_file.h"
#include "core/io/torch_checkpoint_format.h"

namespace atelier {

// Storages hold little-endian bytes; tensors view or copy them as they are.
static_assert(std::endian::native == std::endian::little, "checkpoint reading assumes a little-endian host");

namespace {

at::ScalarType scalar_type_of(StorageType type) {
  switch (type) {
    case StorageType::Float: return at::kFloat;
    case StorageType::Half: return at::kHalf;
    case StorageType::BFloat16: return at::kBFloat16;
    case StorageType::Double: return at::kDouble;
    case StorageType::Long: return at::kLong;
    case StorageType::Int: return at::kInt;
    case StorageType::Short: return at::kShort;
    case StorageType::Char: return at::kChar;
    case StorageType::Byte: return at::kByte;
    case StorageType::Bool: return at::kBool;
  }
  return at::kFloat;
}

// A flat tensor of a storage: a view of the mapped file (or of the inflated bytes) when its
// elements are aligned, else a copy. Bool storages are copied and normalised, since a byte
// other than 0 or 1 is no valid bool.
at::Tensor storage_tensor(const StorageBytes& storage, const std::shared_ptr<MappedFile>& file) {
  const auto numel = static_cast<std::int64_t>(storage.numel);
  const at::ScalarType type = scalar_type_of(storage.type);
  auto copied = [&](at::ScalarType as) {
    at::Tensor copy = at::empty({numel}, as);
    if (!storage.bytes.empty()) std::memcpy(copy.data_ptr(), storage.bytes.data(), storage.bytes.size());
    return copy;
  };
  if (storage.type == StorageType::Bool) return copied(at::kByte).ne(0);
  if (reinterpret_cast<std::uintptr_t>(storage.bytes.data()) % storage_element_size(storage.type) != 0)
    return copied(type);
  // from_blob wants a mutable pointer, but a mapping is PROT_READ: such tensors must never be
  // written in place. The deleter keeps the memory alive as long as the tensor.
  std::shared_ptr<const void> owner = storage.inflated;
  if (!owner) owner = file;
  return at::from_blob(const_cast<std::uint8_t*>(storage.bytes.data()), {numel}, [owner](void*) {},
                       at::TensorOptions().dtype(type));
}

}  // namespace

bool is_torch_pickle_file(const std::filesystem::path& path) {
  try {
    return is_torch_checkpoint(MappedFile(path).bytes());
  } catch (const Error&) {
    return false;
  }
}

PickleValue read_torch_pickle(const std::filesystem::path& path) {
  const std::string label = path.string();
  const auto file = std::make_shared<MappedFile>(path);
  const CheckpointLayout layout = parse_torch_checkpoint(file->bytes(), label);
  std::map<std::string, at::Tensor> storages;
  try {
    for (const auto& [key, storage] : layout.storages) storages.emplace(key, storage_tensor(storage, file));
    // The unpickler has checked every view against its storage's size.
    return layout.object.map_tensors([&](const TensorRef& ref) {
      return storages.at(ref.storage_key).as_strided(ref.sizes, ref.strides, ref.offset);
    });
  } catch (const c10::Error& e) {  // allocating a copy
    throw FormatError(label + ": " + e.what_without_backtrace());
  }
}

std::vector<std::pair<std::string, at::Tensor>> torch_state_dict(const PickleValue& checkpoint, std::string_view label) {
  using Kind = PickleValue::Kind;
  if (!checkpoint.is(Kind::Dict))
    throw FormatError(std::string(label) + ": the checkpoint holds " + PickleValue::kind_name(checkpoint.kind()) +
                      ", not a dict of tensors");
  const PickleValue* nested = nullptr;
  for (const char* wrapper : {"state_dict", "params_ema", "params"}) {
    nested = checkpoint.find(wrapper);
    if (nested && nested->is(Kind::Dict)) break;
    nested = nullptr;
  }
  const PickleValue& dict = nested ? *nested : checkpoint;
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [key, value] : dict.items())
    if (key.is(Kind::String) && value.is(Kind::Tensor)) tensors.emplace_back(key.as_string(), value.tensor());
  if (tensors.empty()) throw FormatError(std::string(label) + ": the checkpoint holds no tensors");
  return tensors;
}

std::vector<std::pair<std::string, at::Tensor>> read_torch_state_dict(const std::filesystem::path& path) {
  return torch_state_dict(read_torch_pickle(path), path.string());
}

}  // namespace atelier
