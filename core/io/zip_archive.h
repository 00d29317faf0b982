#pragma once
// A read-only ZIP reader over bytes in memory (a MappedFile), enough for torch.save archives:
// end of central directory (zip64 too), central directory, each entry's own local header;
// STORED entries are viewed in place, DEFLATE entries inflated. No LibTorch, so it can be fuzzed.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflate
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;          // uncompressed
  std::uint64_t data_offset = 0;   // where the (compressed) data starts in the archive
};

// An entry's content: a view into the archive for STORED entries, else the inflated bytes.
struct ZipContent {
  std::vector<std::uint8_t> inflated;
  std::span<const std::uint8_t> bytes;
};

class ZipArchive {
 public:
  // Parses the directory of the archive held in `bytes` (which must outlive this object).
  // Every offset and length is checked against `bytes`; a defect throws FormatError whose
  // message starts with `label` and names the entry concerned.
  ZipArchive(std::span<const std::uint8_t> bytes, std::string label);

  // Whether `bytes` start like a ZIP archive (a local header or an empty archive's end record).
  static bool looks_like_zip(std::span<const std::uint8_t> bytes);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;  // nullptr when absent
  const std::string& label() const { return label_; }

  // The entry's content, its CRC-32 verified. Throws FormatError naming the entry when it is
  // corrupt or compressed with a method other than STORED or DEFLATE.
  ZipContent read(const ZipEntry& entry) const;

 private:
  std::span<const std::uint8_t> bytes_;
  std::string label_;
  std::vector<ZipEntry> entries_;
};

}  // namespace atelier
