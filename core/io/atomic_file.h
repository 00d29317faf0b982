#pragma once
// Writing a file so that readers see either the old content or the complete new one.
#include <cstdint>
#include <filesystem>
#include <span>

namespace atelier {

// Writes `content` to a hidden temporary file beside `path`, fsyncs it, renames it over `path`
// and fsyncs the directory. On any failure (disk full, no permission) the temporary is removed,
// `path` is untouched, and Error names the path and the reason.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> content);

}  // namespace atelier
