#pragma once
// A restricted unpickler for PyTorch checkpoints: it reads Python pickles (protocols 0-5) into
// a plain value tree and never executes anything. Globals are resolved through an allowlist at
// the moment the opcode naming them is read; any other name refuses the whole pickle. No
// LibTorch: tensors come out as TensorRef (where their elements are), so it can be fuzzed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace atelier {

// The element type of a torch.<Type>Storage.
enum class StorageType { Float, Half, BFloat16, Double, Long, Int, Short, Char, Byte, Bool };

std::string_view storage_type_name(StorageType type);  // "FloatStorage", ...
std::size_t storage_element_size(StorageType type);    // bytes per element

// A tensor as torch._utils._rebuild_tensor_v2 describes it: a view of a storage that the
// checkpoint holds elsewhere (a zip record or a legacy data block). Counts are in ELEMENTS.
// The unpickler has checked that the view lies inside the storage (storage_numel elements).
struct TensorRef {
  std::string storage_key;  // the zip record data/<key>, or the legacy storage's key
  StorageType type = StorageType::Float;
  std::uint64_t storage_numel = 0;
  std::string location;  // 'cpu', 'cuda:0', ...
  std::int64_t offset = 0;
  std::vector<std::int64_t> sizes;
  std::vector<std::int64_t> strides;
  bool requires_grad = false;
};

// A value of the tree, with tensors of type `TensorType` (TensorRef here; at::Tensor once a
// checkpoint reader has materialised them, see core/io/torch_checkpoint.h). Dicts keep their
// insertion order (OrderedDict and plain dict alike). Global is a class the allowlist lets
// appear inertly (as a dict key); text() is its "module.name".
template <class TensorType>
class BasicPickleValue {
 public:
  enum class Kind { None, Bool, Int, BigInt, Float, String, Bytes, Global, List, Tuple, Dict, Tensor };
  using Item = std::pair<BasicPickleValue, BasicPickleValue>;

  BasicPickleValue() = default;
  static BasicPickleValue none() { return BasicPickleValue(Kind::None); }
  static BasicPickleValue boolean(bool value) { return scalar(Kind::Bool, value, 0); }
  static BasicPickleValue integer(std::int64_t value) { return scalar(Kind::Int, value, 0); }
  static BasicPickleValue real(double value) { return scalar(Kind::Float, 0, value); }
  // Kind String, Bytes, Global, or BigInt (an int beyond 64 bits: little-endian two's complement).
  static BasicPickleValue text(Kind kind, std::string text) {
    BasicPickleValue value(kind);
    value.text_ = std::move(text);
    return value;
  }
  static BasicPickleValue sequence(Kind kind, std::vector<BasicPickleValue> elements) {
    BasicPickleValue value(kind);
    value.elements_ = std::move(elements);
    return value;
  }
  static BasicPickleValue dict(std::vector<Item> items) {
    BasicPickleValue value(Kind::Dict);
    value.items_ = std::move(items);
    return value;
  }
  static BasicPickleValue tensor(TensorType tensor) {
    BasicPickleValue value(Kind::Tensor);
    value.tensor_ = std::move(tensor);
    return value;
  }

  Kind kind() const { return kind_; }
  bool is(Kind kind) const { return kind_ == kind; }

  // The accessors below throw FormatError naming the kind found when the value is another kind.
  bool as_bool() const { return expect(Kind::Bool).int_ != 0; }
  std::int64_t as_int() const { return expect(Kind::Int).int_; }
  double as_float() const { return expect(Kind::Float).float_; }
  const std::string& as_string() const { return expect(Kind::String).text_; }
  const std::string& text() const {  // String, Bytes, Global or BigInt
    if (kind_ != Kind::String && kind_ != Kind::Bytes && kind_ != Kind::Global && kind_ != Kind::BigInt)
      throw FormatError(std::string("expected a string, found ") + kind_name(kind_));
    return text_;
  }
  const std::vector<BasicPickleValue>& elements() const {  // List or Tuple
    if (kind_ != Kind::List && kind_ != Kind::Tuple)
      throw FormatError(std::string("expected a list or tuple, found ") + kind_name(kind_));
    return elements_;
  }
  const std::vector<Item>& items() const { return expect(Kind::Dict).items_; }
  const TensorType& tensor() const { return expect(Kind::Tensor).tensor_; }

  // The value of a dict's string key; nullptr when this is not a dict or has no such key.
  const BasicPickleValue* find(std::string_view key) const {
    if (kind_ != Kind::Dict) return nullptr;
    for (const Item& item : items_)
      if (item.first.kind_ == Kind::String && item.first.text_ == key) return &item.second;
    return nullptr;
  }

  // The same tree with every tensor replaced by convert(tensor).
  template <class Convert>
  BasicPickleValue<std::decay_t<std::invoke_result_t<const Convert&, const TensorType&>>> map_tensors(
      const Convert& convert) const {
    using Out = BasicPickleValue<std::decay_t<std::invoke_result_t<const Convert&, const TensorType&>>>;
    Out out;
    out.kind_ = static_cast<typename Out::Kind>(kind_);
    out.int_ = int_;
    out.float_ = float_;
    out.text_ = text_;
    out.elements_.reserve(elements_.size());
    for (const BasicPickleValue& element : elements_) out.elements_.push_back(element.map_tensors(convert));
    out.items_.reserve(items_.size());
    for (const Item& item : items_) out.items_.emplace_back(item.first.map_tensors(convert), item.second.map_tensors(convert));
    if (kind_ == Kind::Tensor) out.tensor_ = convert(tensor_);
    return out;
  }

  static const char* kind_name(Kind kind) {
    constexpr const char* kNames[] = {"None", "a bool", "an int", "an int", "a float", "a string",
                                      "bytes", "a class", "a list", "a tuple", "a dict", "a tensor"};
    return kNames[static_cast<int>(kind)];
  }

 private:
  template <class>
  friend class BasicPickleValue;

  explicit BasicPickleValue(Kind kind) : kind_(kind) {}
  static BasicPickleValue scalar(Kind kind, std::int64_t integer, double real) {
    BasicPickleValue value(kind);
    value.int_ = integer;
    value.float_ = real;
    return value;
  }
  const BasicPickleValue& expect(Kind kind) const {
    if (kind_ != kind) throw FormatError(std::string("expected ") + kind_name(kind) + ", found " + kind_name(kind_));
    return *this;
  }

  Kind kind_ = Kind::None;
  std::int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  std::vector<BasicPickleValue> elements_;
  std::vector<Item> items_;
  TensorType tensor_{};
};

using RawPickleValue = BasicPickleValue<TensorRef>;

struct Unpickled {
  RawPickleValue value;
  std::size_t end = 0;  // one past the STOP opcode
};

// Unpickles the one pickle that starts at `bytes[start]`. Whatever is wrong (a global outside
// the allowlist, a persistent id that is not a torch storage, truncation before STOP, a
// malformed opcode, nesting deeper than a model file needs) throws FormatError whose message
// starts with `label`; nothing of the pickle is returned then, and nothing was ever run.
Unpickled unpickle(std::span<const std::uint8_t> bytes, std::string_view label, std::size_t start = 0);

}  // namespace atelier
