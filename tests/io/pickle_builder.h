#pragma once
// Hand-built pickles and torch.save-like ZIP archives for the unpickler's tests, written opcode
// by opcode as CPython's pickler and torch.save lay them out (no Python needed, nothing copied).
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atelier::test {

class PickleBuilder {
 public:
  PickleBuilder& proto(int version) { return byte(0x80).byte(version); }
  PickleBuilder& op(char opcode) { return byte(static_cast<std::uint8_t>(opcode)); }
  PickleBuilder& byte(int value) {
    bytes_.push_back(static_cast<std::uint8_t>(value));
    return *this;
  }
  PickleBuilder& raw(std::string_view text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  PickleBuilder& le(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) byte(static_cast<int>(value >> (8 * i) & 0xFF));
    return *this;
  }
  PickleBuilder& global(std::string_view module, std::string_view name) {
    return op('c').raw(module).raw("\n").raw(name).raw("\n");
  }
  PickleBuilder& unicode(std::string_view text) { return op('X').le(text.size(), 4).raw(text); }
  PickleBuilder& integer(std::int64_t value) {
    if (value >= 0 && value < 256) return op('K').le(value, 1);
    if (value >= 0 && value < 65536) return op('M').le(value, 2);
    return op('J').le(static_cast<std::uint64_t>(value), 4);
  }
  PickleBuilder& put(int index) { return op('q').le(index, 1); }
  PickleBuilder& get(int index) { return op('h').le(index, 1); }
  PickleBuilder& stop() { return op('.'); }

  // ('storage', torch.<type>, key, 'cpu', numel) as torch's persistent_id, then BINPERSID; the
  // legacy format adds a sixth item, the view metadata None.
  PickleBuilder& storage(std::string_view type, std::string_view key, std::int64_t numel, bool legacy = false) {
    op('(').unicode("storage").global("torch", type).unicode(key).unicode("cpu").integer(numel);
    if (legacy) op('N');
    return op('t').op('Q');
  }
  PickleBuilder& int_tuple(const std::vector<std::int64_t>& values) {
    op('(');
    for (std::int64_t value : values) integer(value);
    return op('t');
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) via REDUCE.
  PickleBuilder& tensor(std::string_view type, std::string_view key, std::int64_t numel, std::int64_t offset,
                        const std::vector<std::int64_t>& size, const std::vector<std::int64_t>& stride,
                        bool legacy = false) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    storage(type, key, numel, legacy).integer(offset).int_tuple(size).int_tuple(stride).byte(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// A small checkpoint as torch.save + PyTorch Lightning write it: {'global_step', 'state_dict':
// OrderedDict of an F16 matrix, an F32 view at an offset, an I64 vector and an I32 scalar,
// 'callbacks': {ModelCheckpoint: {...}}}, with the bytes of its four storages. The zip format
// keys storages 0, 1, ... in first-use order; the legacy one by heap address, here chosen so
// that neither first-use nor numeric order is the string order the data follows.
struct SmallCheckpoint {
  std::vector<std::uint8_t> pickle;
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> storages;  // key, bytes (first-use order)
};

inline std::vector<std::string> small_checkpoint_keys(bool legacy) {
  if (legacy) return {"94558000000128", "9455800000064", "94558000000000", "945580000000256"};
  return {"0", "1", "2", "3"};
}

inline SmallCheckpoint small_checkpoint(bool legacy = false) {
  const std::vector<std::string> keys = small_checkpoint_keys(legacy);
  PickleBuilder p;
  p.proto(2).op('}').put(0).op('(').unicode("global_step").integer(470000).unicode("state_dict");
  p.global("collections", "OrderedDict").put(1).op(')').op('R').put(2).op('(');
  p.unicode("w16").tensor("HalfStorage", keys[0], 6, 0, {2, 3}, {3, 1}, legacy);
  p.unicode("w32").tensor("FloatStorage", keys[1], 8, 2, {3, 2}, {1, 3}, legacy);
  p.unicode("ids").tensor("LongStorage", keys[2], 4, 0, {1, 4}, {4, 1}, legacy);
  p.unicode("num_updates").tensor("IntStorage", keys[3], 1, 0, {}, {}, legacy);
  p.op('u').unicode("callbacks").op('}').global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint");
  p.op('}').unicode("dirpath").unicode("logs").op('s').op('s').op('u').stop();

  SmallCheckpoint checkpoint{p.bytes(), {}};
  auto storage = [&](std::string key, std::size_t bytes) {
    std::vector<std::uint8_t> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + key[0]);
    checkpoint.storages.emplace_back(std::move(key), std::move(data));
  };
  storage(keys[0], 6 * 2);
  storage(keys[1], 8 * 4);
  storage(keys[2], 4 * 8);
  storage(keys[3], 4);
  return checkpoint;
}

// The small checkpoint in torch's legacy layout: magic, protocol 1001, sys_info, the object,
// the sorted storage keys, then each storage (int64 element count, bytes) in that order.
inline std::vector<std::uint8_t> small_checkpoint_legacy() {
  SmallCheckpoint checkpoint = small_checkpoint(true);
  PickleBuilder p;
  p.proto(2).byte(0x8a).le(10, 1).le(0x469cfc6c, 4).le(0xa86a20f9, 4).le(0x1950, 2).stop();
  p.proto(2).integer(1001).stop();
  p.proto(2).op('}').op('(').unicode("protocol_version").integer(1001).unicode("little_endian").byte(0x88);
  p.unicode("type_sizes").op('}').op('(').unicode("short").integer(2).unicode("int").integer(4);
  p.unicode("long").integer(4).op('u').op('u').stop();
  p.raw(std::string_view(reinterpret_cast<const char*>(checkpoint.pickle.data()), checkpoint.pickle.size()));
  std::sort(checkpoint.storages.begin(), checkpoint.storages.end());
  p.proto(2).op(']').op('(');
  for (const auto& [key, bytes] : checkpoint.storages) p.unicode(key);
  p.op('e').stop();
  const std::size_t element_sizes[] = {2, 4, 8, 4};  // of the keys in first-use order
  const std::vector<std::string> keys = small_checkpoint_keys(true);
  for (const auto& [key, bytes] : checkpoint.storages) {
    const std::size_t element_size = element_sizes[std::find(keys.begin(), keys.end(), key) - keys.begin()];
    p.le(bytes.size() / element_size, 8);
    p.raw(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return p.bytes();
}

struct ZipRecord {
  std::string name;
  std::vector<std::uint8_t> data;
  bool deflate = false;
};

// A ZIP archive as torch's writer makes it: each local header's extra field pads the data to a
// 64-byte boundary; with `zip64`, sizes and offsets live in zip64 extra fields and records.
inline std::vector<std::uint8_t> make_zip(const std::vector<ZipRecord>& records, bool zip64 = false) {
  std::vector<std::uint8_t> out, directory;
  auto put = [](std::vector<std::uint8_t>& to, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) to.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  };
  auto put_text = [](std::vector<std::uint8_t>& to, std::string_view text) { to.insert(to.end(), text.begin(), text.end()); };
  for (const ZipRecord& record : records) {
    std::vector<std::uint8_t> data = record.data;
    if (record.deflate) {
      z_stream stream{};
      deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      data.resize(deflateBound(&stream, record.data.size()));
      stream.next_in = const_cast<Bytef*>(record.data.data());
      stream.avail_in = static_cast<uInt>(record.data.size());
      stream.next_out = data.data();
      stream.avail_out = static_cast<uInt>(data.size());
      deflate(&stream, Z_FINISH);
      data.resize(stream.total_out);
      deflateEnd(&stream);
    }
    const std::uint32_t crc = crc32(0, record.data.data(), static_cast<uInt>(record.data.size()));
    const std::uint64_t offset = out.size();
    const std::size_t unpadded = offset + 30 + record.name.size() + 4;
    const std::size_t padding = (64 - unpadded % 64) % 64;
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, 0, 2);
    put(out, record.deflate ? 8 : 0, 2);
    put(out, 0, 4);  // DOS time and date 0, as torch writes
    put(out, crc, 4);
    put(out, data.size(), 4);
    put(out, record.data.size(), 4);
    put(out, record.name.size(), 2);
    put(out, 4 + padding, 2);
    put_text(out, record.name);
    put(out, 0x4246, 2);  // "FB", torch's padding field
    put(out, padding, 2);
    out.resize(out.size() + padding, 'Z');
    out.insert(out.end(), data.begin(), data.end());

    const std::uint64_t saturated = zip64 ? 0xFFFFFFFF : 0;
    put(directory, 0x02014b50, 4);
    put(directory, zip64 ? 45 : 20, 2);
    put(directory, zip64 ? 45 : 20, 2);
    put(directory, 0, 2);
    put(directory, record.deflate ? 8 : 0, 2);
    put(directory, 0, 4);
    put(directory, crc, 4);
    put(directory, zip64 ? saturated : data.size(), 4);
    put(directory, zip64 ? saturated : record.data.size(), 4);
    put(directory, record.name.size(), 2);
    put(directory, zip64 ? 28 : 0, 2);
    put(directory, 0, 2);
    put(directory, 0, 2);
    put(directory, 0, 2);
    put(directory, 0, 4);
    put(directory, zip64 ? saturated : offset, 4);
    put_text(directory, record.name);
    if (zip64) {
      put(directory, 0x0001, 2);
      put(directory, 24, 2);
      put(directory, record.data.size(), 8);
      put(directory, data.size(), 8);
      put(directory, offset, 8);
    }
  }
  const std::uint64_t directory_offset = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  if (zip64) {
    const std::uint64_t record_offset = out.size();
    put(out, 0x06064b50, 4);
    put(out, 44, 8);
    put(out, 45, 2);
    put(out, 45, 2);
    put(out, 0, 4);
    put(out, 0, 4);
    put(out, records.size(), 8);
    put(out, records.size(), 8);
    put(out, directory.size(), 8);
    put(out, directory_offset, 8);
    put(out, 0x07064b50, 4);
    put(out, 0, 4);
    put(out, record_offset, 8);
    put(out, 1, 4);
  }
  put(out, 0x06054b50, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, zip64 ? 0xFFFF : records.size(), 2);
  put(out, zip64 ? 0xFFFF : records.size(), 2);
  put(out, zip64 ? 0xFFFFFFFF : directory.size(), 4);
  put(out, zip64 ? 0xFFFFFFFF : directory_offset, 4);
  put(out, 0, 2);
  return out;
}

// The small checkpoint as a torch.save archive named `folder`.
inline std::vector<std::uint8_t> small_checkpoint_zip(std::string_view folder = "small", bool zip64 = false,
                                                      bool deflate_storages = false) {
  const SmallCheckpoint checkpoint = small_checkpoint();
  const std::string dir = std::string(folder) + "/";
  std::vector<ZipRecord> records{{dir + "data.pkl", checkpoint.pickle}};
  for (const auto& [key, bytes] : checkpoint.storages) records.push_back({dir + "data/" + key, bytes, deflate_storages});
  records.push_back({dir + "version", {'3', '\n'}});
  return make_zip(records, zip64);
}

}  // namespace atelier::test
