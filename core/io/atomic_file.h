#pragma once
// Writing a file so that readers see either the old content or the complete new one.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

namespace atelier {

// Writes `content` to a hidden temporary file beside `path`, fsyncs it, renames it over `path`
// and fsyncs the directory. On any failure (disk full, no permission) the temporary is removed,
// `path` is untouched, and Error names the path and the reason.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> content);

// The same for content too large to hold at once: `produce` appends it piece by piece through
// the sink it is given. An exception from `produce` removes the temporary and propagates.
using ByteSink = std::function<void(std::span<const std::uint8_t>)>;
void write_file_atomically(const std::filesystem::path& path, const std::function<void(const ByteSink&)>& produce);

// Whether `path` is the temporary of a write that never finished (its process was killed):
// named as write_file_atomically names them and untouched for at least `age`, far longer
// than any write takes, so a write still in progress is never taken for one.
bool is_abandoned_temporary(const std::filesystem::path& path, std::chrono::seconds age = std::chrono::hours(1));

}  // namespace atelier
