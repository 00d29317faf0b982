#include "core/io/torch_checkpoint_format.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "core/error.h"
#include "core/io/zip_archive.h"

namespace atelier {
namespace {

// torch/serialization.py MAGIC_NUMBER, as the 10 little-endian bytes of the LONG1 that
// pickles it, and the legacy format's protocol version.
constexpr std::uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr std::int64_t kLegacyProtocolVersion = 1001;

using ValueKind = RawPickleValue::Kind;

bool starts_with_legacy_magic(std::span<const std::uint8_t> bytes) {
  // PROTO n, LONG1 of 10 bytes, the magic number.
  return bytes.size() >= 4 + sizeof(kLegacyMagic) && bytes[0] == 0x80 && bytes[2] == 0x8a && bytes[3] == 10 &&
         std::equal(std::begin(kLegacyMagic), std::end(kLegacyMagic), bytes.begin() + 4);
}

// The one <dir>/data.pkl of a torch zip archive (torch names <dir> after the file, or 'archive').
const ZipEntry* find_data_pkl(const ZipArchive& zip) {
  const ZipEntry* found = nullptr;
  for (const ZipEntry& entry : zip.entries()) {
    const auto slash = entry.name.find('/');
    if (slash == std::string::npos || slash == 0 || entry.name.substr(slash) != "/data.pkl") continue;
    if (found)
      throw FormatError(zip.label() + ": the archive holds two pickles ('" + found->name + "' and '" + entry.name + "')");
    found = &entry;
  }
  return found;
}

// Every distinct storage the tensors of `value` view, by key (the unpickler has made sure that
// one key always comes with one type and size).
void collect_storages(const RawPickleValue& value, std::map<std::string, StorageBytes>& out) {
  if (value.is(ValueKind::Tensor)) {
    out.try_emplace(value.tensor().storage_key, StorageBytes{value.tensor().type, value.tensor().storage_numel, {}, {}});
  } else if (value.is(ValueKind::List) || value.is(ValueKind::Tuple)) {
    for (const RawPickleValue& element : value.elements()) collect_storages(element, out);
  } else if (value.is(ValueKind::Dict)) {
    for (const auto& [key, item] : value.items()) {
      collect_storages(key, out);
      collect_storages(item, out);
    }
  }
}

std::uint64_t byte_size(const StorageBytes& storage) {
  return storage.numel * storage_element_size(storage.type);  // the unpickler checked it fits
}

CheckpointLayout parse_zip(std::span<const std::uint8_t> file, const std::string& label) {
  const ZipArchive zip(file, label);
  const ZipEntry* pickle = find_data_pkl(zip);
  if (!pickle) throw FormatError(label + ": a ZIP archive without a <folder>/data.pkl: not a PyTorch checkpoint");
  const std::string dir = pickle->name.substr(0, pickle->name.find('/') + 1);
  if (const ZipEntry* order = zip.find(dir + "byteorder")) {  // torch >= 2.1
    const ZipContent content = zip.read(*order);
    if (std::string_view(reinterpret_cast<const char*>(content.bytes.data()), content.bytes.size()) != "little")
      throw FormatError(label + ": the checkpoint was saved on a big-endian machine, which is not supported");
  }
  const ZipContent pickled = zip.read(*pickle);
  CheckpointLayout layout{unpickle(pickled.bytes, label + " (" + pickle->name + ")").value, {}};
  collect_storages(layout.object, layout.storages);
  for (auto& [key, storage] : layout.storages) {
    const std::string name = dir + "data/" + key;
    const ZipEntry* entry = zip.find(name);
    if (!entry) throw FormatError(label + ": storage '" + key + "' has no entry '" + name + "'");
    ZipContent content = zip.read(*entry);
    if (content.bytes.size() != byte_size(storage))
      throw FormatError(label + ": ZIP entry '" + name + "' holds " + std::to_string(content.bytes.size()) +
                        " bytes, but its " + std::to_string(storage.numel) + " " +
                        std::string(storage_type_name(storage.type)) + " elements need " +
                        std::to_string(byte_size(storage)));
    if (content.inflated.empty()) {
      storage.bytes = content.bytes;
    } else {
      storage.inflated = std::make_shared<const std::vector<std::uint8_t>>(std::move(content.inflated));
      storage.bytes = *storage.inflated;
    }
  }
  return layout;
}

// torch 1.13 _legacy_save: five pickles (magic, protocol version, sys_info, the object, the
// storage keys), then each storage in the order of that key list, prefixed by its int64
// element count. Every one of the pickles goes through the restricted unpickler.
CheckpointLayout parse_legacy(std::span<const std::uint8_t> file, const std::string& label) {
  std::size_t at = 0;
  auto next = [&](const char* what) {
    Unpickled unpickled = unpickle(file, label + " (" + what + ")", at);
    at = unpickled.end;
    return std::move(unpickled.value);
  };
  const RawPickleValue magic = next("magic number");
  if (!magic.is(ValueKind::BigInt) || magic.text() != std::string(std::begin(kLegacyMagic), std::end(kLegacyMagic)))
    throw FormatError(label + ": not a PyTorch checkpoint (wrong magic number)");
  const RawPickleValue protocol = next("protocol version");
  if (!protocol.is(ValueKind::Int) || protocol.as_int() != kLegacyProtocolVersion)
    throw FormatError(label + ": unknown legacy checkpoint protocol version");
  const RawPickleValue sys_info = next("system information");
  const RawPickleValue* little_endian = sys_info.find("little_endian");
  if (!little_endian || !little_endian->is(ValueKind::Bool) || !little_endian->as_bool())
    throw FormatError(label + ": the checkpoint was saved on a big-endian machine, which is not supported");
  CheckpointLayout layout{next("object"), {}};
  const RawPickleValue keys = next("storage keys");
  if (!keys.is(ValueKind::List)) throw FormatError(label + ": the legacy storage key list is not a list");

  collect_storages(layout.object, layout.storages);
  std::set<std::string> listed;
  for (const RawPickleValue& key : keys.elements()) {
    if (!key.is(ValueKind::String)) throw FormatError(label + ": a legacy storage key is not a string");
    const std::string which = "storage '" + key.as_string() + "'";
    const auto storage = layout.storages.find(key.as_string());
    if (storage == layout.storages.end()) throw FormatError(label + ": " + which + " is listed but no tensor views it");
    if (!listed.insert(key.as_string()).second) throw FormatError(label + ": " + which + " is listed twice");
    if (file.size() - at < 8) throw FormatError(label + ": " + which + " is missing (truncated file)");
    std::uint64_t numel = 0;
    std::memcpy(&numel, file.data() + at, 8);  // little-endian, as the host
    at += 8;
    if (numel != storage->second.numel)
      throw FormatError(label + ": " + which + " holds " + std::to_string(numel) + " elements, but the pickle says " +
                        std::to_string(storage->second.numel));
    const std::uint64_t length = byte_size(storage->second);
    if (file.size() - at < length) throw FormatError(label + ": " + which + " is cut short (truncated file)");
    storage->second.bytes = file.subspan(at, length);
    at += length;
  }
  for (const auto& [key, storage] : layout.storages)
    if (!listed.contains(key))
      throw FormatError(label + ": storage '" + key + "' is not in the file");
  return layout;
}

}  // namespace

bool looks_like_torch_checkpoint(std::span<const std::uint8_t> file) {
  return ZipArchive::looks_like_zip(file) || starts_with_legacy_magic(file);
}

bool is_torch_checkpoint(std::span<const std::uint8_t> file) {
  if (starts_with_legacy_magic(file)) return true;
  if (!ZipArchive::looks_like_zip(file)) return false;
  try {
    return find_data_pkl(ZipArchive(file, "")) != nullptr;
  } catch (const FormatError&) {
    return false;
  }
}

CheckpointLayout parse_torch_checkpoint(std::span<const std::uint8_t> file, const std::string& label) {
  if (ZipArchive::looks_like_zip(file)) return parse_zip(file, label);
  if (starts_with_legacy_magic(file)) return parse_legacy(file, label);
  throw FormatError(label + ": not a PyTorch checkpoint (neither a torch.save ZIP archive nor the legacy format)");
}

}  // namespace atelier
