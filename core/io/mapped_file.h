#pragma once
// A read-only memory mapping of a whole file, shared by the tensors that view into it.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace atelier {

class MappedFile {
 public:
  // Maps `path` read-only. Throws Error naming the file when it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

  // Drops the whole pages inside `range` (a part of bytes()) from this process's resident memory;
  // they are read back from the file if touched again. A hint: failures are ignored.
  void release(std::span<const std::uint8_t> range) const;

 private:
  std::filesystem::path path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace atelier
