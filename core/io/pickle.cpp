#include "core/io/pickle.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>

namespace atelier {
namespace {

struct StorageTypeInfo {
  StorageType type;
  std::string_view name;
  std::size_t size;
};

constexpr StorageTypeInfo kStorageTypes[] = {
    {StorageType::Float, "FloatStorage", 4}, {StorageType::Half, "HalfStorage", 2},
    {StorageType::BFloat16, "BFloat16Storage", 2}, {StorageType::Double, "DoubleStorage", 8},
    {StorageType::Long, "LongStorage", 8}, {StorageType::Int, "IntStorage", 4},
    {StorageType::Short, "ShortStorage", 2}, {StorageType::Char, "CharStorage", 1},
    {StorageType::Byte, "ByteStorage", 1}, {StorageType::Bool, "BoolStorage", 1},
};

const StorageTypeInfo& storage_info(StorageType type) {
  for (const StorageTypeInfo& info : kStorageTypes)
    if (info.type == type) return info;
  return kStorageTypes[0];
}

// What an allowlisted global may do.
enum class Role {
  OrderedDict,       // collections.OrderedDict: called with no arguments
  RebuildTensor,     // torch._utils._rebuild_tensor_v2
  RebuildParameter,  // torch._utils._rebuild_parameter
  StorageClass,      // torch.<Type>Storage: only inside a storage persistent id
  Inert,             // a class a model file may name (as a dict key) but never call
};

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
  Role role;
};

constexpr AllowedGlobal kAllowlist[] = {
    {"collections", "OrderedDict", Role::OrderedDict},
    {"torch._utils", "_rebuild_tensor_v2", Role::RebuildTensor},
    {"torch._utils", "_rebuild_parameter", Role::RebuildParameter},
    // PyTorch Lightning 1.x stores its callbacks' states keyed by the callback's class.
    {"pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint", Role::Inert},
};

// A model file needs no more nesting than a dozen levels (checkpoint, optimizer state, param
// groups...); deeper input is hostile, and capping it bounds the recursion of the conversion.
constexpr int kMaxDepth = 100;
constexpr std::size_t kMaxDims = 64;
// The tree may not be more than this many times larger than the pickle: shared references
// (BINGET) could otherwise expand a small file exponentially.
constexpr std::uint64_t kCostPerNode = 64;
constexpr std::uint64_t kBudgetPerByte = 64;
constexpr std::uint64_t kBudgetBase = 1 << 20;

enum class Kind : std::uint8_t {
  None, Bool, Int, BigInt, Float, String, Bytes, Global, List, Tuple, Dict, Tensor, Storage
};

using Text = std::shared_ptr<const std::string>;

// A value on the unpickler's stack. Containers, tensors and storages live in the unpickler's
// arenas and are referred to by index, so that shared references (memo) and even cycles that
// hostile input builds are cheap and safe; the result tree is built from them at STOP.
struct Value {
  Kind kind = Kind::None;
  std::int64_t integer = 0;  // Bool, Int; Global: its Role
  double real = 0;
  Text text;                 // String, Bytes, BigInt; Global: "module.name"
  std::size_t index = 0;     // List, Tuple, Dict: containers_; Tensor: tensors_; Storage: storages_
  StorageType storage_type = StorageType::Float;  // Global with Role::StorageClass
};

struct Container {
  std::vector<Value> items;  // a dict's keys and values alternate
  std::unordered_map<std::string, std::size_t> keys;  // a dict's key identities -> their index in items
};

struct Storage {
  std::string key;
  StorageType type;
  std::uint64_t numel;
  std::string location;
};

const char* describe(Kind kind) {
  constexpr const char* kNames[] = {"None",  "a bool", "an int", "an int",  "a float", "a string", "bytes",
                                    "a global", "a list", "a tuple", "a dict", "a tensor", "a storage"};
  return kNames[static_cast<int>(kind)];
}

// A name from the pickle, printable in a message whatever bytes it holds.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return text.size() > 200 ? out + "..." : out;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | code >> 6);
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | code >> 12);
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | code >> 18);
    out += static_cast<char>(0x80 | (code >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::optional<std::uint32_t> parse_hex(std::string_view digits) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

class Unpickler {
 public:
  Unpickler(std::span<const std::uint8_t> bytes, std::string_view label, std::size_t start)
      : bytes_(bytes), label_(label), pos_(start), start_(start) {}

  Unpickled run() {
    while (true) {
      opcode_pos_ = pos_;
      const std::uint8_t opcode = take(1)[0];
      if (opcode == '.') {
        const Value result = pop();
        budget_ = kBudgetPerByte * (pos_ - start_) + kBudgetBase;
        return {convert(result, 0), pos_};
      }
      step(opcode);
    }
  }

 private:
  // ---- errors ----
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(std::string(label_) + ": malformed pickle (byte " + std::to_string(opcode_pos_) + "): " + what);
  }
  [[noreturn]] void refuse(const std::string& what) const {
    throw FormatError(std::string(label_) + ": refused: " + what + "; nothing was run");
  }

  // ---- reading the stream ----
  [[noreturn]] void truncated() const {
    throw FormatError(std::string(label_) + ": truncated: the pickle ends (after " +
                      std::to_string(bytes_.size() - start_) + " bytes) before its STOP opcode");
  }
  std::span<const std::uint8_t> take(std::uint64_t count) {
    if (count > bytes_.size() - pos_) truncated();
    const auto span = bytes_.subspan(pos_, count);
    pos_ += count;
    return span;
  }
  std::uint64_t take_uint(int width) {
    const auto span = take(width);
    std::uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | span[i];
    return value;
  }
  std::uint64_t take_big_endian_uint64() {
    std::uint64_t value = 0;
    for (std::uint8_t byte : take(8)) value = value << 8 | byte;
    return value;
  }
  // A length field: it may not exceed what is left of the stream (checked again by take()).
  std::uint64_t take_length(int width) {
    const std::uint64_t length = take_uint(width);
    if (width == 4 && length > 0x7FFFFFFF) fail("a negative length");
    return length;
  }
  std::string_view take_line() {
    const auto rest = bytes_.subspan(pos_);
    const void* newline = std::memchr(rest.data(), '\n', rest.size());
    if (!newline) truncated();
    const std::size_t length = static_cast<const std::uint8_t*>(newline) - rest.data();
    pos_ += length + 1;
    return {reinterpret_cast<const char*>(rest.data()), length};
  }
  std::string take_text(std::uint64_t length) {
    const auto span = take(length);
    return {span.begin(), span.end()};
  }

  // ---- the stack ----
  std::size_t frame_bottom() const { return marks_.empty() ? 0 : marks_.back(); }
  Value pop() {
    if (stack_.size() <= frame_bottom()) fail("an opcode needs a value the stack does not hold");
    Value value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }
  Value& top() {
    if (stack_.size() <= frame_bottom()) fail("an opcode needs a value the stack does not hold");
    return stack_.back();
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK that was never set");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + marks_.back()),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void push(Value value) { stack_.push_back(std::move(value)); }

  // ---- values ----
  static Value scalar(Kind kind, std::int64_t integer) {
    Value value;
    value.kind = kind;
    value.integer = integer;
    return value;
  }
  static Value text(Kind kind, std::string text) {
    Value value;
    value.kind = kind;
    value.text = std::make_shared<const std::string>(std::move(text));
    return value;
  }
  Value container(Kind kind, std::vector<Value> items = {}) {
    Value value;
    value.kind = kind;
    value.index = containers_.size();
    containers_.push_back({std::move(items), {}});
    return value;
  }
  Container& container_of(const Value& value, Kind kind, const char* opcode) {
    if (value.kind != kind)
      fail(std::string(opcode) + " applies to " + describe(kind) + ", found " + describe(value.kind));
    return containers_[value.index];
  }
  // A little-endian two's-complement integer of LONG1 / LONG4.
  Value long_integer(std::span<const std::uint8_t> digits) {
    const bool negative = !digits.empty() && (digits.back() & 0x80);
    std::size_t length = digits.size();
    // Leading sign bytes carry no value; what remains fits in 64 bits or is a BigInt.
    while (length > 1 && digits[length - 1] == (negative ? 0xFF : 0x00) &&
           ((digits[length - 2] & 0x80) != 0) == negative)
      --length;
    if (length > 8) return text(Kind::BigInt, std::string(digits.begin(), digits.begin() + length));
    std::uint64_t value = negative ? ~std::uint64_t(0) : 0;
    for (std::size_t i = length; i-- > 0;) value = value << 8 | digits[i];
    return scalar(Kind::Int, static_cast<std::int64_t>(value));
  }
  Value decimal_integer(std::string_view digits) {
    if (!digits.empty() && digits.back() == 'L') digits.remove_suffix(1);  // protocol 0 LONG
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size())
      fail("'" + printable(digits) + "' is not an integer a model file holds");
    return scalar(Kind::Int, value);
  }
  Value real(double number) {
    Value value;
    value.kind = Kind::Float;
    value.real = number;
    return value;
  }

  // Protocol 0 STRING: a quoted Python literal with backslash escapes.
  Value quoted_string(std::string_view line) {
    if (line.size() < 2 || (line.front() != '\'' && line.front() != '"') || line.back() != line.front())
      fail("a STRING opcode without quotes");
    line = line.substr(1, line.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '\\' || i + 1 == line.size()) {
        out += line[i];
        continue;
      }
      const char c = line[++i];
      constexpr std::string_view kFrom = "\\'\"abfnrtv", kTo = "\\'\"\a\b\f\n\r\t\v";
      if (const auto at = kFrom.find(c); at != std::string_view::npos) {
        out += kTo[at];
      } else if (c == 'x' && i + 2 < line.size() && parse_hex(line.substr(i + 1, 2))) {
        out += static_cast<char>(*parse_hex(line.substr(i + 1, 2)));
        i += 2;
      } else {
        out += '\\';
        out += c;
      }
    }
    return text(Kind::String, std::move(out));
  }
  // Protocol 0 UNICODE: raw-unicode-escape (latin-1 bytes, \uXXXX and \UXXXXXXXX).
  Value raw_unicode(std::string_view line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const std::size_t digits = i + 1 < line.size() && line[i] == '\\' ? (line[i + 1] == 'u' ? 4 : line[i + 1] == 'U' ? 8 : 0) : 0;
      if (digits && i + 2 + digits <= line.size()) {
        const auto code = parse_hex(line.substr(i + 2, digits));
        if (!code || *code > 0x10FFFF) fail("a malformed \\u escape in a UNICODE opcode");
        append_utf8(out, *code);
        i += 1 + digits;
      } else {
        append_utf8(out, static_cast<unsigned char>(line[i]));
      }
    }
    return text(Kind::String, std::move(out));
  }

  // ---- globals and calls ----
  // Resolves module.name through the allowlist, at the moment the opcode names it.
  Value global(std::string_view module, std::string_view name) {
    const std::string full = std::string(module) + "." + std::string(name);
    Value value = text(Kind::Global, full);
    for (const AllowedGlobal& allowed : kAllowlist)
      if (allowed.module == module && allowed.name == name) {
        value.integer = static_cast<std::int64_t>(allowed.role);
        return value;
      }
    if (module == "torch")
      for (const StorageTypeInfo& info : kStorageTypes)
        if (info.name == name) {
          value.integer = static_cast<std::int64_t>(Role::StorageClass);
          value.storage_type = info.type;
          return value;
        }
    refuse("the pickle names the global '" + printable(full) + "', which a model file has no need of");
  }
  Value global_from_lines() {
    const std::string module(take_line());
    return global(module, take_line());
  }

  // What REDUCE, INST, OBJ and NEWOBJ do: call an allowlisted global with `args`.
  Value call(const Value& callable, std::vector<Value> args, const char* opcode) {
    if (callable.kind != Kind::Global) fail(std::string(opcode) + " calls " + describe(callable.kind));
    const std::string& name = *callable.text;
    switch (static_cast<Role>(callable.integer)) {
      case Role::OrderedDict:
        if (!args.empty()) refuse("the pickle calls collections.OrderedDict with arguments");
        return container(Kind::Dict);
      case Role::RebuildTensor:
        return rebuild_tensor(args);
      case Role::RebuildParameter:
        return rebuild_parameter(args);
      case Role::StorageClass:
      case Role::Inert:
        break;
    }
    refuse("the pickle calls '" + printable(name) + "', which a model file may only name, never call");
  }
  std::vector<Value> tuple_items(const Value& value, const char* what) {
    if (value.kind != Kind::Tuple) fail(std::string(what) + " must be a tuple, found " + describe(value.kind));
    return containers_[value.index].items;
  }
  std::vector<std::int64_t> int_tuple(const Value& value, const char* what) {
    std::vector<std::int64_t> numbers;
    for (const Value& item : tuple_items(value, what)) {
      if (item.kind != Kind::Int || item.integer < 0)
        fail(std::string("a tensor's ") + what + " holds " + describe(item.kind) + " or a negative number");
      numbers.push_back(item.integer);
    }
    if (numbers.size() > kMaxDims) fail(std::string("a tensor's ") + what + " has too many dimensions");
    return numbers;
  }
  bool empty_dict(const Value& value) const {
    return value.kind == Kind::Dict && containers_[value.index].items.empty();
  }

  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
  Value rebuild_tensor(const std::vector<Value>& args) {
    if (args.size() != 6 && args.size() != 7)
      fail("_rebuild_tensor_v2 takes 6 arguments, the pickle passes " + std::to_string(args.size()));
    if (args[0].kind != Kind::Storage) fail("_rebuild_tensor_v2's first argument is not a storage");
    if (args[1].kind != Kind::Int || args[1].integer < 0) fail("_rebuild_tensor_v2's offset is not an element count");
    if (args[4].kind != Kind::Bool) fail("_rebuild_tensor_v2's requires_grad is not a bool");
    if (!empty_dict(args[5])) refuse("a tensor carries backward hooks, which would run code");
    if (args.size() == 7 && args[6].kind != Kind::None && !empty_dict(args[6]))
      refuse("a tensor carries metadata this reader does not know");
    const Storage& storage = storages_[args[0].index];
    TensorRef tensor{storage.key, storage.type, storage.numel, storage.location, args[1].integer,
                     int_tuple(args[2], "size"), int_tuple(args[3], "stride"), args[4].integer != 0};
    check_extent(tensor);
    Value value;
    value.kind = Kind::Tensor;
    value.index = tensors_.size();
    tensors_.push_back(std::move(tensor));
    return value;
  }
  // The last element a view reads must lie inside its storage (overflow-checked).
  void check_extent(const TensorRef& tensor) const {
    const std::string which = "a tensor of storage '" + printable(tensor.storage_key) + "'";
    if (tensor.sizes.size() != tensor.strides.size()) fail(which + " has " + std::to_string(tensor.sizes.size()) +
                                                            " sizes but " + std::to_string(tensor.strides.size()) + " strides");
    std::uint64_t last = static_cast<std::uint64_t>(tensor.offset);
    std::uint64_t count = 1;
    for (std::size_t i = 0; i < tensor.sizes.size(); ++i) {
      const auto size = static_cast<std::uint64_t>(tensor.sizes[i]);
      std::uint64_t reach = 0;
      if (__builtin_mul_overflow(count, size, &count) || count > std::uint64_t(INT64_MAX))
        fail(which + " has more elements than can be counted");
      if (size > 0 && (__builtin_mul_overflow(size - 1, static_cast<std::uint64_t>(tensor.strides[i]), &reach) ||
                       __builtin_add_overflow(last, reach, &last)))
        fail(which + " reaches beyond any storage");
    }
    if (count > 0 && last >= tensor.storage_numel)
      fail(which + " (offset " + std::to_string(tensor.offset) + ") reaches element " + std::to_string(last) +
           " of a storage of " + std::to_string(tensor.storage_numel) + " elements");
  }
  // torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself.
  Value rebuild_parameter(const std::vector<Value>& args) {
    if (args.size() != 3 || args[0].kind != Kind::Tensor || args[1].kind != Kind::Bool)
      fail("_rebuild_parameter takes a tensor, a bool and the hooks");
    if (!empty_dict(args[2])) refuse("a parameter carries backward hooks, which would run code");
    Value value = args[0];
    value.index = tensors_.size();
    TensorRef tensor = tensors_[args[0].index];
    tensor.requires_grad = args[1].integer != 0;
    tensors_.push_back(std::move(tensor));
    return value;
  }

  // ('storage', torch.<Type>Storage, key, location, numel[, view_metadata = None])
  Value persistent_load(const Value& pid) {
    const std::vector<Value>* id_items = pid.kind == Kind::Tuple ? &containers_[pid.index].items : nullptr;
    if (!id_items || id_items->empty() || (*id_items)[0].kind != Kind::String || *(*id_items)[0].text != "storage")
      refuse("the pickle asks for a persistent object that is not a torch storage");
    const std::vector<Value>& id = *id_items;
    if ((id.size() != 5 && id.size() != 6) || id[1].kind != Kind::Global ||
        static_cast<Role>(id[1].integer) != Role::StorageClass || id[2].kind != Kind::String ||
        id[3].kind != Kind::String || id[4].kind != Kind::Int || id[4].integer < 0)
      fail("a storage's persistent id is not ('storage', torch.<Type>Storage, key, location, numel)");
    if (id.size() == 6 && id[5].kind != Kind::None) refuse("a storage is a view of another (pre-1.0 torch files)");
    const Storage storage{*id[2].text, id[1].storage_type, static_cast<std::uint64_t>(id[4].integer), *id[3].text};
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(storage.numel, storage_element_size(storage.type), &bytes) || bytes > std::uint64_t(INT64_MAX))
      fail("storage '" + printable(storage.key) + "' is larger than any file");
    Value value;
    value.kind = Kind::Storage;
    if (auto known = storage_index_.find(storage.key); known != storage_index_.end()) {
      const Storage& first = storages_[known->second];
      if (first.type != storage.type || first.numel != storage.numel)
        fail("storage '" + printable(storage.key) + "' is named twice with different types or sizes");
      value.index = known->second;
      return value;
    }
    value.index = storages_.size();
    storage_index_.emplace(storage.key, value.index);
    storages_.push_back(storage);
    return value;
  }

  // ---- containers ----
  // What makes two dict keys the same key: their kind and value (True and 1 alike, as in Python);
  // tuples and tensors by identity. Unhashable keys are refused, as Python refuses them.
  std::string key_identity(const Value& key) const {
    std::string identity(1, static_cast<char>(key.kind == Kind::Bool ? Kind::Int : key.kind));
    switch (key.kind) {
      case Kind::None:
        return identity;
      case Kind::Bool:
      case Kind::Int:
        return identity + std::to_string(key.integer);
      case Kind::Float:
        return identity + std::to_string(std::bit_cast<std::uint64_t>(key.real));
      case Kind::String:
      case Kind::Bytes:
      case Kind::BigInt:
      case Kind::Global:
        return identity + *key.text;
      case Kind::Tuple:
      case Kind::Tensor:
        return identity + std::to_string(key.index);
      case Kind::List:
      case Kind::Dict:
      case Kind::Storage:
        break;
    }
    fail(std::string("a dict key is ") + describe(key.kind) + ", which Python cannot hash");
  }
  // A later value for the same key replaces the earlier one in place, as in a Python dict.
  void set_item(Container& dict, Value key, Value value) {
    auto [found, inserted] = dict.keys.try_emplace(key_identity(key), dict.items.size());
    if (!inserted) {
      dict.items[found->second + 1] = std::move(value);
      return;
    }
    dict.items.push_back(std::move(key));
    dict.items.push_back(std::move(value));
  }
  void set_items(Container& dict, std::vector<Value> items) {
    if (items.size() % 2) fail("SETITEMS with a key that has no value");
    for (std::size_t i = 0; i < items.size(); i += 2) set_item(dict, std::move(items[i]), std::move(items[i + 1]));
  }
  Value make_dict(std::vector<Value> items) {
    Value dict = container(Kind::Dict);
    set_items(containers_[dict.index], std::move(items));
    return dict;
  }

  // ---- memo ----
  void memo_put(std::uint64_t index) { memo_[index] = top(); }
  void memo_get(std::uint64_t index) {
    auto found = memo_.find(index);
    if (found == memo_.end()) fail("a memo entry (" + std::to_string(index) + ") that was never stored");
    push(found->second);
  }
  std::uint64_t memo_index(std::string_view digits) {
    std::uint64_t index = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (error != std::errc() || end != digits.data() + digits.size()) fail("a malformed memo index");
    return index;
  }

  // ---- one opcode ----
  void step(std::uint8_t opcode) {
    switch (opcode) {
      case 0x80: {  // PROTO
        const std::uint8_t protocol = take(1)[0];
        if (protocol > 5) fail("pickle protocol " + std::to_string(protocol) + " is newer than any Python writes");
        return;
      }
      case 0x95:  // FRAME: a length hint for buffered readers; the opcodes follow as usual
        if (take_uint(8) > bytes_.size() - pos_) truncated();
        return;
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return;
      case '0':  // POP (a MARK when the current frame is empty, as CPython does)
        if (stack_.size() > frame_bottom()) stack_.pop_back();
        else pop_mark();
        return;
      case '1':  // POP_MARK
        pop_mark();
        return;
      case '2':  // DUP
        push(top());
        return;

      case 'N':
        return push(Value{});
      case 0x88:  // NEWTRUE
        return push(scalar(Kind::Bool, 1));
      case 0x89:  // NEWFALSE
        return push(scalar(Kind::Bool, 0));
      case 'I': {  // INT (protocol 0; "01" / "00" are True / False)
        const std::string_view line = take_line();
        if (line == "01" || line == "00") return push(scalar(Kind::Bool, line == "01"));
        return push(decimal_integer(line));
      }
      case 'L':  // LONG (protocol 0)
        return push(decimal_integer(take_line()));
      case 'J':  // BININT
        return push(scalar(Kind::Int, static_cast<std::int32_t>(take_uint(4))));
      case 'K':  // BININT1
        return push(scalar(Kind::Int, take_uint(1)));
      case 'M':  // BININT2
        return push(scalar(Kind::Int, take_uint(2)));
      case 0x8a:  // LONG1
        return push(long_integer(take(take_length(1))));
      case 0x8b:  // LONG4
        return push(long_integer(take(take_length(4))));
      case 'F': {  // FLOAT (protocol 0)
        const std::string_view line = take_line();
        double number = 0;
        auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), number);
        if (error != std::errc() || end != line.data() + line.size()) fail("a malformed FLOAT");
        return push(real(number));
      }
      case 'G':  // BINFLOAT (big-endian)
        return push(real(std::bit_cast<double>(take_big_endian_uint64())));

      case 'S':  // STRING (protocol 0)
        return push(quoted_string(take_line()));
      case 'T':  // BINSTRING: Python 3 decodes protocol-2 str as text
        return push(text(Kind::String, take_text(take_length(4))));
      case 'U':  // SHORT_BINSTRING
        return push(text(Kind::String, take_text(take_length(1))));
      case 'V':  // UNICODE (protocol 0)
        return push(raw_unicode(take_line()));
      case 'X':  // BINUNICODE
        return push(text(Kind::String, take_text(take_length(4))));
      case 0x8c:  // SHORT_BINUNICODE
        return push(text(Kind::String, take_text(take_length(1))));
      case 0x8d:  // BINUNICODE8
        return push(text(Kind::String, take_text(take_length(8))));
      case 'B':  // BINBYTES
        return push(text(Kind::Bytes, take_text(take_length(4))));
      case 'C':  // SHORT_BINBYTES
        return push(text(Kind::Bytes, take_text(take_length(1))));
      case 0x8e:  // BINBYTES8
      case 0x96:  // BYTEARRAY8
        return push(text(Kind::Bytes, take_text(take_length(8))));

      case ')':  // EMPTY_TUPLE
        return push(container(Kind::Tuple));
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87: {  // TUPLE3
        std::vector<Value> items(opcode - 0x84);
        for (std::size_t i = items.size(); i-- > 0;) items[i] = pop();
        return push(container(Kind::Tuple, std::move(items)));
      }
      case 't':  // TUPLE
        return push(container(Kind::Tuple, pop_mark()));
      case ']':  // EMPTY_LIST
        return push(container(Kind::List));
      case 'l':  // LIST
        return push(container(Kind::List, pop_mark()));
      case '}':  // EMPTY_DICT
        return push(container(Kind::Dict));
      case 'd':  // DICT
        return push(make_dict(pop_mark()));
      case 'a': {  // APPEND
        Value value = pop();
        container_of(top(), Kind::List, "APPEND").items.push_back(std::move(value));
        return;
      }
      case 'e': {  // APPENDS
        std::vector<Value> values = pop_mark();
        auto& list = container_of(top(), Kind::List, "APPENDS").items;
        list.insert(list.end(), std::make_move_iterator(values.begin()), std::make_move_iterator(values.end()));
        return;
      }
      case 's': {  // SETITEM
        Value value = pop();
        Value key = pop();
        set_item(container_of(top(), Kind::Dict, "SETITEM"), std::move(key), std::move(value));
        return;
      }
      case 'u': {  // SETITEMS
        std::vector<Value> items = pop_mark();
        set_items(container_of(top(), Kind::Dict, "SETITEMS"), std::move(items));
        return;
      }

      case 'p':  // PUT
        return memo_put(memo_index(take_line()));
      case 'q':  // BINPUT
        return memo_put(take_uint(1));
      case 'r':  // LONG_BINPUT
        return memo_put(take_uint(4));
      case 0x94:  // MEMOIZE
        return memo_put(memo_.size());
      case 'g':  // GET
        return memo_get(memo_index(take_line()));
      case 'h':  // BINGET
        return memo_get(take_uint(1));
      case 'j':  // LONG_BINGET
        return memo_get(take_uint(4));

      case 'c':  // GLOBAL
        return push(global_from_lines());
      case 0x93: {  // STACK_GLOBAL
        const Value name = pop();
        const Value module = pop();
        if (module.kind != Kind::String || name.kind != Kind::String) fail("STACK_GLOBAL of something but two strings");
        return push(global(*module.text, *name.text));
      }
      case 'i': {  // INST: resolves, then calls with the marked arguments
        const Value callable = global_from_lines();
        return push(call(callable, pop_mark(), "INST"));
      }
      case 'o': {  // OBJ
        std::vector<Value> items = pop_mark();
        if (items.empty()) fail("OBJ without a class");
        const Value callable = items.front();
        return push(call(callable, std::vector<Value>(items.begin() + 1, items.end()), "OBJ"));
      }
      case 'R': {  // REDUCE
        const Value args = pop();
        const Value callable = pop();
        return push(call(callable, tuple_items(args, "REDUCE's arguments"), "REDUCE"));
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        const Value args = pop();
        const Value cls = pop();
        return push(call(cls, tuple_items(args, "NEWOBJ's arguments"), "NEWOBJ"));
      }
      case 0x92: {  // NEWOBJ_EX
        const Value kwargs = pop();
        const Value args = pop();
        const Value cls = pop();
        if (!empty_dict(kwargs)) refuse("the pickle creates an object with keyword arguments");
        return push(call(cls, tuple_items(args, "NEWOBJ_EX's arguments"), "NEWOBJ_EX"));
      }
      case 'b': {  // BUILD: a dict's state is its attributes (a state_dict's _metadata): dropped
        pop();
        if (top().kind != Kind::Dict) refuse(std::string("the pickle sets the state of ") + describe(top().kind));
        return;
      }
      case 'P':  // PERSID
        return push(persistent_load(text(Kind::String, std::string(take_line()))));
      case 'Q': {  // BINPERSID
        const Value pid = pop();
        return push(persistent_load(pid));
      }

      case 0x8f:  // EMPTY_SET
      case 0x90:  // ADDITEMS
      case 0x91:  // FROZENSET
        refuse("the pickle holds a set, which a model file has no need of");
      case 0x82:  // EXT1
      case 0x83:  // EXT2
      case 0x84:  // EXT4
        refuse("the pickle names a global through the copyreg extension registry");
      case 0x97:  // NEXT_BUFFER
      case 0x98:  // READONLY_BUFFER
        refuse("the pickle refers to out-of-band buffers");
      default:
        fail("unknown opcode " + std::to_string(opcode));
    }
  }

  // ---- the result ----
  RawPickleValue convert(const Value& value, int depth) {
    if (depth > kMaxDepth) fail("the pickle nests deeper than " + std::to_string(kMaxDepth) + " levels (or contains itself)");
    const std::uint64_t cost = kCostPerNode + (value.text ? value.text->size() : 0);
    if (cost > budget_) fail("the pickle expands to a tree far larger than itself (shared references)");
    budget_ -= cost;
    using Out = RawPickleValue;
    switch (value.kind) {
      case Kind::None:
        return Out::none();
      case Kind::Bool:
        return Out::boolean(value.integer != 0);
      case Kind::Int:
        return Out::integer(value.integer);
      case Kind::Float:
        return Out::real(value.real);
      case Kind::BigInt:
        return Out::text(Out::Kind::BigInt, *value.text);
      case Kind::String:
        return Out::text(Out::Kind::String, *value.text);
      case Kind::Bytes:
        return Out::text(Out::Kind::Bytes, *value.text);
      case Kind::Global:
        return Out::text(Out::Kind::Global, *value.text);
      case Kind::List:
      case Kind::Tuple: {
        std::vector<Out> elements;
        for (const Value& element : containers_[value.index].items) elements.push_back(convert(element, depth + 1));
        return Out::sequence(value.kind == Kind::List ? Out::Kind::List : Out::Kind::Tuple, std::move(elements));
      }
      case Kind::Dict: {
        const std::vector<Value>& items = containers_[value.index].items;
        std::vector<Out::Item> out;
        for (std::size_t i = 0; i < items.size(); i += 2)
          out.emplace_back(convert(items[i], depth + 1), convert(items[i + 1], depth + 1));
        return Out::dict(std::move(out));
      }
      case Kind::Tensor:
        return Out::tensor(tensors_[value.index]);
      case Kind::Storage:
        break;
    }
    fail("the pickle holds a storage outside of a tensor");
  }

  std::span<const std::uint8_t> bytes_;
  std::string_view label_;
  std::size_t pos_;
  std::size_t start_;
  std::size_t opcode_pos_ = 0;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
  std::deque<Container> containers_;
  std::deque<TensorRef> tensors_;
  std::deque<Storage> storages_;
  std::unordered_map<std::string, std::size_t> storage_index_;
  std::uint64_t budget_ = 0;
};

}  // namespace

std::string_view storage_type_name(StorageType type) { return storage_info(type).name; }
std::size_t storage_element_size(StorageType type) { return storage_info(type).size; }

Unpickled unpickle(std::span<const std::uint8_t> bytes, std::string_view label, std::size_t start) {
  if (start > bytes.size()) throw FormatError(std::string(label) + ": no pickle starts past the end of the data");
  return Unpickler(bytes, label, start).run();
}

}  // namespace atelier
