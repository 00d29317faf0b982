#include "core/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "core/error.h"

namespace atelier {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* action, int error) {
  throw Error("cannot " + std::string(action) + " " + path.string() + ": " +
              std::generic_category().message(error));
}

// Closes the descriptor on every path out of the constructor; the mapping outlives it.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) fail(path, "open", errno);
  struct stat status {};
  if (::fstat(file.fd, &status) != 0) fail(path, "read the size of", errno);
  if (!S_ISREG(status.st_mode)) throw Error("cannot map " + path.string() + ": not a regular file");
  // An empty file cannot be mapped, and no format we map is valid empty.
  if (status.st_size == 0) throw FormatError(path.string() + ": file is empty");

  const auto size = static_cast<std::size_t>(status.st_size);
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (data == MAP_FAILED) fail(path, "map", errno);
  data_ = static_cast<const std::uint8_t*>(data);
  size_ = size;
}

void MappedFile::release(std::span<const std::uint8_t> range) const {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(range.data()) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(range.data()) + range.size()) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() { ::munmap(const_cast<std::uint8_t*>(data_), size_); }

}  // namespace atelier
