#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "core/error.h"
#include "core/io/system_error_text.h"

namespace atelier {
namespace {


// Writes all of `bytes`; returns 0 or the errno of the failure.
int write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return errno;
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return 0;
}

// Carries a failed write's errno out of a ByteSink, past the producer.
struct WriteFailure {
  int error;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> content) {
  write_file_atomically(path, [content](const ByteSink& sink) { sink(content); });
}

void write_file_atomically(const std::filesystem::path& path, const std::function<void(const ByteSink&)>& produce) {
  // "dir/.name.tmp-XXXXXX": hidden, and beside the target so that the rename stays in one file system.
  auto temp_path = path;
  temp_path.replace_filename(".");
  temp_path += path.filename();
  temp_path += ".tmp-XXXXXX";
  std::string temp = temp_path.string();
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) throw Error("cannot write " + path.string() + ": " + system_error_text(errno));
  int error = ::fchmod(fd, 0644) != 0 ? errno : 0;  // mkstemp creates 0600; these are the user's files
  if (error == 0) {
    try {
      produce([fd](std::span<const std::uint8_t> bytes) {
        if (int failure = write_all(fd, bytes)) throw WriteFailure{failure};
      });
    } catch (const WriteFailure& failure) {
      error = failure.error;
    } catch (...) {
      ::close(fd);
      ::unlink(temp.c_str());
      throw;
    }
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    throw Error("cannot write " + path.string() + ": " + system_error_text(error));
  }
  // Make the rename itself durable; the file is complete either way, so failure here is harmless.
  std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
  if (int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

bool is_abandoned_temporary(const std::filesystem::path& path, std::chrono::seconds age) {
  const std::string name = path.filename().string();
  const std::string marker = ".tmp-";
  constexpr std::size_t kUniqueChars = 6;  // mkostemp's XXXXXX
  const bool named_so = name.size() > 1 + marker.size() + kUniqueChars && name.front() == '.' &&
                        name.compare(name.size() - kUniqueChars - marker.size(), marker.size(), marker) == 0;
  if (!named_so) return false;
  std::error_code error;
  const auto written = std::filesystem::last_write_time(path, error);
  return !error && std::filesystem::file_time_type::clock::now() - written >= age;
}

}  // namespace atelier
