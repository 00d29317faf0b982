#include "core/io/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <set>

#include "core/error.h"

namespace atelier {
namespace {

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint16_t kMethodStored = 0;
constexpr std::uint16_t kMethodDeflate = 8;
// DEFLATE cannot compress better than about 1032:1; a larger claimed size is a lie, refused
// before it could make us allocate.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

// Little-endian fields of `bytes`, every read bounds-checked.
class Fields {
 public:
  Fields(std::span<const std::uint8_t> bytes, const std::string& label) : bytes_(bytes), label_(label) {}

  std::uint64_t get(std::uint64_t offset, int width, std::string_view what) const {
    if (offset > bytes_.size() || bytes_.size() - offset < static_cast<std::uint64_t>(width))
      throw FormatError(label_ + ": the ZIP " + std::string(what) + " lies past the end of the file");
    std::uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | bytes_[offset + i];
    return value;
  }
  std::span<const std::uint8_t> span(std::uint64_t offset, std::uint64_t length, std::string_view what) const {
    if (offset > bytes_.size() || bytes_.size() - offset < length)
      throw FormatError(label_ + ": the ZIP " + std::string(what) + " lies past the end of the file");
    return bytes_.subspan(offset, length);
  }

 private:
  std::span<const std::uint8_t> bytes_;
  const std::string& label_;
};

struct Directory {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t entries = 0;
};

// The end-of-central-directory record is the last one whose comment fits in the file.
std::uint64_t find_end_record(std::span<const std::uint8_t> bytes, const Fields& fields, const std::string& label) {
  if (bytes.size() >= kEndSize) {
    const std::uint64_t last = bytes.size() - kEndSize;
    const std::uint64_t first = last > 0xFFFF ? last - 0xFFFF : 0;
    for (std::uint64_t at = last + 1; at-- > first;)
      if (fields.get(at, 4, "end record") == kEndSignature &&
          at + kEndSize + fields.get(at + 20, 2, "end record") <= bytes.size())
        return at;
  }
  throw FormatError(label + ": not a ZIP archive (no end-of-central-directory record)");
}

Directory read_directory(std::span<const std::uint8_t> bytes, const Fields& fields, const std::string& label) {
  const std::uint64_t end = find_end_record(bytes, fields, label);
  Directory directory{fields.get(end + 16, 4, "end record"), fields.get(end + 12, 4, "end record"),
                      fields.get(end + 10, 2, "end record")};
  if (fields.get(end + 4, 2, "end record") != 0 || fields.get(end + 6, 2, "end record") != 0)
    throw FormatError(label + ": a multi-volume ZIP archive is not supported");
  // Archives with more than 65535 entries or 4 GiB put the real values in a zip64 record,
  // located by the 20 bytes just before the end record.
  if (end >= kZip64LocatorSize && fields.get(end - kZip64LocatorSize, 4, "zip64 locator") == kZip64LocatorSignature) {
    const std::uint64_t record = fields.get(end - kZip64LocatorSize + 8, 8, "zip64 locator");
    fields.span(record, kZip64EndSize, "zip64 end record");
    if (fields.get(record, 4, "zip64 end record") != kZip64EndSignature)
      throw FormatError(label + ": the ZIP zip64 locator points at no zip64 end record");
    directory = {fields.get(record + 48, 8, "zip64 end record"), fields.get(record + 40, 8, "zip64 end record"),
                 fields.get(record + 32, 8, "zip64 end record")};
  }
  fields.span(directory.offset, directory.size, "central directory");
  if (directory.entries > directory.size / kCentralHeaderSize)
    throw FormatError(label + ": the ZIP central directory is too small for the " +
                      std::to_string(directory.entries) + " entries it claims");
  return directory;
}

// Replaces the 32-bit fields saturated at 0xFFFFFFFF by their values in the zip64 extra field,
// which holds exactly those, in this order.
void apply_zip64_extra(std::span<const std::uint8_t> extra, ZipEntry& entry, std::uint64_t& local_offset,
                       const std::string& where) {
  const Fields fields(extra, where);
  for (std::uint64_t at = 0; at + 4 <= extra.size();) {
    const std::uint64_t id = fields.get(at, 2, "extra field");
    const std::uint64_t length = fields.get(at + 2, 2, "extra field");
    if (id == kZip64ExtraId) {
      std::uint64_t field = at + 4;
      auto next = [&](std::uint64_t& value) {
        if (value != 0xFFFFFFFF) return;
        if (field + 8 > at + 4 + length)
          throw FormatError(where + ": its zip64 extra field is too short for the sizes it must hold");
        value = fields.get(field, 8, "zip64 extra field");
        field += 8;
      };
      next(entry.size);
      next(entry.compressed_size);
      next(local_offset);
      return;
    }
    at += 4 + length;
  }
}

}  // namespace

bool ZipArchive::looks_like_zip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
         ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6));
}

ZipArchive::ZipArchive(std::span<const std::uint8_t> bytes, std::string label)
    : bytes_(bytes), label_(std::move(label)) {
  const Fields fields(bytes_, label_);
  const Directory directory = read_directory(bytes_, fields, label_);
  std::set<std::string_view> names;
  std::uint64_t at = directory.offset;
  entries_.reserve(directory.entries);
  for (std::uint64_t i = 0; i < directory.entries; ++i) {
    fields.span(at, kCentralHeaderSize, "central directory");
    if (fields.get(at, 4, "central directory") != kCentralHeaderSignature)
      throw FormatError(label_ + ": ZIP central directory entry " + std::to_string(i) + " is corrupt");
    const std::uint64_t name_length = fields.get(at + 28, 2, "central directory");
    const std::uint64_t extra_length = fields.get(at + 30, 2, "central directory");
    const std::uint64_t comment_length = fields.get(at + 32, 2, "central directory");
    const auto name = fields.span(at + kCentralHeaderSize, name_length, "central directory");
    ZipEntry entry;
    entry.name.assign(name.begin(), name.end());
    const std::string where = label_ + ": ZIP entry '" + entry.name + "'";
    const std::uint64_t flags = fields.get(at + 8, 2, "central directory");
    entry.method = static_cast<std::uint16_t>(fields.get(at + 10, 2, "central directory"));
    entry.crc32 = static_cast<std::uint32_t>(fields.get(at + 16, 4, "central directory"));
    entry.compressed_size = fields.get(at + 20, 4, "central directory");
    entry.size = fields.get(at + 24, 4, "central directory");
    std::uint64_t local = fields.get(at + 42, 4, "central directory");
    apply_zip64_extra(fields.span(at + kCentralHeaderSize + name_length, extra_length, "central directory"), entry,
                      local, where);
    if (flags & 1) throw FormatError(where + " is encrypted");

    // The data follows the entry's LOCAL header, whose name and extra lengths are its own
    // (torch pads the extra field so that data starts on a 64-byte boundary).
    fields.span(local, kLocalHeaderSize, "local header of entry '" + entry.name + "'");
    if (fields.get(local, 4, "local header") != kLocalHeaderSignature)
      throw FormatError(where + ": its local header is missing or corrupt");
    const std::uint64_t local_name_length = fields.get(local + 26, 2, "local header");
    const std::uint64_t local_extra_length = fields.get(local + 28, 2, "local header");
    const auto local_name = fields.span(local + kLocalHeaderSize, local_name_length, "local header");
    if (!std::equal(local_name.begin(), local_name.end(), name.begin(), name.end()))
      throw FormatError(where + ": its local header names another entry");
    entry.data_offset = local + kLocalHeaderSize + local_name_length + local_extra_length;
    fields.span(entry.data_offset, entry.compressed_size, "data of entry '" + entry.name + "'");
    if (entry.method == kMethodStored && entry.size != entry.compressed_size)
      throw FormatError(where + " is stored but its two sizes differ");

    entries_.push_back(std::move(entry));
    at += kCentralHeaderSize + name_length + extra_length + comment_length;
  }
  for (const ZipEntry& entry : entries_)
    if (!names.insert(entry.name).second)
      throw FormatError(label_ + ": the ZIP archive holds entry '" + entry.name + "' twice");
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto found = std::find_if(entries_.begin(), entries_.end(), [&](const ZipEntry& e) { return e.name == name; });
  return found == entries_.end() ? nullptr : &*found;
}

ZipContent ZipArchive::read(const ZipEntry& entry) const {
  const std::string where = label_ + ": ZIP entry '" + entry.name + "'";
  ZipContent content;
  const auto stored = bytes_.subspan(entry.data_offset, entry.compressed_size);  // checked when parsed
  if (entry.method == kMethodStored) {
    content.bytes = stored;
  } else if (entry.method == kMethodDeflate) {
    if (entry.size > entry.compressed_size * kMaxDeflateRatio + 1024 || entry.size > std::numeric_limits<uInt>::max())
      throw FormatError(where + " claims an impossible uncompressed size");
    content.inflated.resize(entry.size);
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw FormatError(where + ": zlib could not start");
    stream.next_in = const_cast<Bytef*>(stored.data());
    stream.avail_in = static_cast<uInt>(std::min<std::uint64_t>(stored.size(), std::numeric_limits<uInt>::max()));
    stream.next_out = content.inflated.data();
    stream.avail_out = static_cast<uInt>(entry.size);
    const int status = inflate(&stream, Z_FINISH);
    const bool complete = status == Z_STREAM_END && stream.total_out == entry.size;
    inflateEnd(&stream);
    if (!complete) throw FormatError(where + ": its compressed data is corrupt");
    content.bytes = content.inflated;
  } else {
    throw FormatError(where + " uses compression method " + std::to_string(entry.method) +
                      "; only stored and deflated entries can be read");
  }
  const uLong crc = crc32_z(crc32_z(0, nullptr, 0), content.bytes.data(), content.bytes.size());
  if (crc != entry.crc32) throw FormatError(where + " is corrupt (its CRC-32 does not match)");
  return content;
}

}  // namespace atelier
