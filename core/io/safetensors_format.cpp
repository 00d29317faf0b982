#include "core/io/safetensors_format.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "core/error.h"

namespace atelier {
namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we, before allocating anything.
constexpr std::uint64_t kMaxHeaderLength = 100'000'000;
// A valid header nests three levels (file object, tensor object, shape array); deeper input is
// hostile, and capping it bounds the parser's memory.
constexpr int kMaxJsonDepth = 8;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::U8, "U8", 1},
};

const DTypeInfo& dtype_info(DType dtype) {
  return *std::find_if(std::begin(kDTypes), std::end(kDTypes),
                       [&](const DTypeInfo& candidate) { return candidate.dtype == dtype; });
}

// The product of `shape` (no negative dimensions) and the dtype's size, or nothing when it
// does not fit in 64 bits.
std::optional<std::uint64_t> byte_length(const std::vector<std::int64_t>& shape, DType dtype) {
  std::uint64_t length = dtype_size(dtype);
  for (std::int64_t dim : shape)
    if (__builtin_mul_overflow(length, static_cast<std::uint64_t>(dim), &length)) return std::nullopt;
  return length;
}

// How messages refer to a top-level key of the header.
std::string describe(std::string_view key) {
  return key == kMetadataKey ? std::string(kMetadataKey) : "tensor '" + std::string(key) + "'";
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Validates one header at a time; every failure names the file and, where there is one, the tensor.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view file_label) : file_label_(file_label) {}

  SafetensorsHeader parse(std::span<const std::uint8_t> file) const {
    if (file.size() < 8)
      fail("file is too short for a safetensors header (" + std::to_string(file.size()) + " bytes)");
    std::uint64_t header_length = 0;
    for (int i = 7; i >= 0; --i) header_length = header_length << 8 | file[i];  // little-endian
    if (header_length > kMaxHeaderLength)
      fail("header length " + std::to_string(header_length) + " exceeds the limit of 100 MB");
    if (header_length > file.size() - 8)
      fail("header length " + std::to_string(header_length) + " runs past the end of the file (" +
           std::to_string(file.size()) + " bytes)");

    SafetensorsHeader header;
    header.data_offset = 8 + header_length;
    const std::uint64_t data_size = file.size() - header.data_offset;
    const auto* text = reinterpret_cast<const char*>(file.data() + 8);
    json root = parse_json(std::string_view(text, header_length));
    if (!root.is_object()) fail("header is not a JSON object");
    for (const auto& [key, value] : root.items()) {
      if (key == kMetadataKey)
        header.metadata = parse_metadata(value);
      else
        header.tensors.push_back(parse_entry(key, value, data_size));
    }
    std::sort(header.tensors.begin(), header.tensors.end(), [](const TensorEntry& a, const TensorEntry& b) {
      return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    check_no_overlap(header.tensors);
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(std::string(file_label_) + ": " + what);
  }

  // nlohmann keeps one of two equal keys silently, so duplicates are caught while parsing.
  json parse_json(std::string_view text) const {
    std::vector<std::set<std::string>> open_objects;  // keys seen so far, innermost last
    std::string current_entry;                        // the top-level key being parsed
    auto watch = [&](int depth, json::parse_event_t event, json& parsed) {
      switch (event) {
        case json::parse_event_t::object_start:
        case json::parse_event_t::array_start:
          if (depth >= kMaxJsonDepth) fail("header JSON is nested too deeply");
          if (event == json::parse_event_t::object_start) open_objects.emplace_back();
          break;
        case json::parse_event_t::object_end:
          open_objects.pop_back();
          break;
        case json::parse_event_t::key: {
          const auto& key = parsed.get_ref<const std::string&>();
          if (open_objects.size() == 1) current_entry = key;
          if (!open_objects.back().insert(key).second) {
            if (open_objects.size() == 1) fail(describe(key) + " is defined more than once");
            fail(describe(current_entry) + ": key '" + key + "' appears more than once");
          }
          break;
        }
        default:
          break;
      }
      return true;
    };
    try {
      return json::parse(text.begin(), text.end(), watch);
    } catch (const json::exception& e) {
      fail(std::string("header is not valid JSON: ") + e.what());
    }
  }

  std::map<std::string, std::string> parse_metadata(const json& value) const {
    if (!value.is_object()) fail(std::string(kMetadataKey) + " is not a JSON object");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) fail(std::string(kMetadataKey) + ": value of '" + key + "' is not a string");
      metadata.emplace(key, item.get<std::string>());
    }
    return metadata;
  }

  const json& field(const json& entry, const char* key, const std::string& where) const {
    auto found = entry.find(key);
    if (found == entry.end()) fail(where + ": missing \"" + key + "\"");
    return *found;
  }

  TensorEntry parse_entry(const std::string& name, const json& value, std::uint64_t data_size) const {
    const std::string where = describe(name);
    if (!value.is_object()) fail(where + ": entry is not a JSON object");
    TensorEntry entry;
    entry.name = name;

    const json& dtype = field(value, "dtype", where);
    if (!dtype.is_string()) fail(where + ": \"dtype\" is not a string");
    const auto* known = std::find_if(std::begin(kDTypes), std::end(kDTypes), [&](const DTypeInfo& candidate) {
      return candidate.name == dtype.get_ref<const std::string&>();
    });
    if (known == std::end(kDTypes))
      fail(where + ": unknown dtype " + dtype.dump() + " (supported: F32, F16, BF16, I64, I32, U8)");
    entry.dtype = known->dtype;

    const json& shape = field(value, "shape", where);
    if (!shape.is_array()) fail(where + ": \"shape\" is not an array");
    for (const json& dim : shape) {
      // nlohmann stores every non-negative integer as unsigned; negatives and fractions are not.
      if (!dim.is_number_unsigned() || dim.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
        fail(where + ": shape dimension " + dim.dump() + " is not a non-negative integer");
      entry.shape.push_back(dim.get<std::int64_t>());
    }
    const std::optional<std::uint64_t> expected_length = byte_length(entry.shape, entry.dtype);
    if (!expected_length) fail(where + ": shape " + shape_text(entry.shape) + " has too many elements");

    const json& offsets = field(value, "data_offsets", where);
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(where + ": \"data_offsets\" is not a pair of non-negative integers");
    entry.begin = offsets[0].get<std::uint64_t>();
    entry.end = offsets[1].get<std::uint64_t>();
    const std::string range =
        "data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + "]";
    if (entry.begin > entry.end) fail(where + ": " + range + " begin after their end");
    if (entry.end > data_size)
      fail(where + ": " + range + " run past the data section (" + std::to_string(data_size) + " bytes)");

    if (*expected_length != entry.end - entry.begin)
      fail(where + ": " + range + " hold " + std::to_string(entry.end - entry.begin) + " bytes but shape " +
           shape_text(entry.shape) + " of " + std::string(dtype_name(entry.dtype)) + " needs " +
           std::to_string(*expected_length));
    return entry;
  }

  // `tensors` is sorted by offsets. Empty tensors occupy no bytes and cannot overlap.
  void check_no_overlap(const std::vector<TensorEntry>& tensors) const {
    const TensorEntry* previous = nullptr;
    for (const TensorEntry& entry : tensors) {
      if (entry.begin == entry.end) continue;
      if (previous && entry.begin < previous->end)
        fail(describe(entry.name) + ": bytes [" + std::to_string(entry.begin) + ", " +
             std::to_string(entry.end) + ") overlap " + describe(previous->name) + " [" +
             std::to_string(previous->begin) + ", " + std::to_string(previous->end) + ")");
      previous = &entry;
    }
  }

  std::string_view file_label_;
};

}  // namespace

std::string_view dtype_name(DType dtype) { return dtype_info(dtype).name; }
std::size_t dtype_size(DType dtype) { return dtype_info(dtype).size; }

std::uint64_t TensorEntry::element_count() const {
  std::uint64_t count = 1;
  for (std::int64_t dim : shape) count *= static_cast<std::uint64_t>(dim);
  return count;
}

SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> file, std::string_view file_label) {
  return HeaderParser(file_label).parse(file);
}

std::vector<std::uint8_t> serialize_safetensors_header(std::vector<TensorLayout> tensors,
                                                       const std::map<std::string, std::string>& metadata) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorLayout& a, const TensorLayout& b) { return a.name < b.name; });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const TensorLayout& tensor = tensors[i];
    const std::string where = "cannot serialise " + describe(tensor.name) + ": ";
    if (tensor.name == kMetadataKey) throw InvalidArgument(where + "the name is reserved");
    if (i > 0 && tensors[i - 1].name == tensor.name) throw InvalidArgument(where + "the name is used twice");
    if (std::ranges::any_of(tensor.shape, [](std::int64_t dim) { return dim < 0; }))
      throw InvalidArgument(where + "negative dimension in shape " + shape_text(tensor.shape));
    const std::optional<std::uint64_t> length = byte_length(tensor.shape, tensor.dtype);
    if (!length) throw InvalidArgument(where + "shape " + shape_text(tensor.shape) + " has too many elements");
    header[tensor.name] = {
        {"dtype", std::string(dtype_name(tensor.dtype))},
        {"shape", tensor.shape},
        {"data_offsets", nlohmann::ordered_json::array({offset, offset + *length})}};
    offset += *length;
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // names or metadata that are not UTF-8
    throw InvalidArgument(std::string("cannot serialise safetensors header: ") + e.what());
  }
  // Spaces up to a multiple of 8 keep the data section aligned for every dtype, as the reference writer does.
  text.resize((text.size() + 7) / 8 * 8, ' ');

  std::vector<std::uint8_t> bytes;
  bytes.reserve(8 + text.size());
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::uint8_t>(text.size() >> (8 * i)));
  bytes.insert(bytes.end(), text.begin(), text.end());
  return bytes;
}

std::vector<std::uint8_t> serialize_safetensors(const std::vector<TensorBytes>& tensors,
                                                const std::map<std::string, std::string>& metadata) {
  std::vector<TensorLayout> layouts;
  for (const TensorBytes& tensor : tensors) {
    const std::optional<std::uint64_t> expected_length = byte_length(tensor.shape, tensor.dtype);
    const bool negative = std::ranges::any_of(tensor.shape, [](std::int64_t dim) { return dim < 0; });
    if (!negative && (!expected_length || *expected_length != tensor.data.size()))
      throw InvalidArgument("cannot serialise " + describe(tensor.name) + ": " + std::to_string(tensor.data.size()) +
                            " bytes do not match shape " + shape_text(tensor.shape) + " of " +
                            std::string(dtype_name(tensor.dtype)));
    layouts.push_back({tensor.name, tensor.dtype, tensor.shape});
  }
  std::vector<std::uint8_t> file = serialize_safetensors_header(layouts, metadata);

  std::vector<const TensorBytes*> sorted;
  for (const TensorBytes& tensor : tensors) sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorBytes* a, const TensorBytes* b) { return a->name < b->name; });
  for (const TensorBytes* tensor : sorted) file.insert(file.end(), tensor->data.begin(), tensor->data.end());
  return file;
}

}  // namespace atelier
