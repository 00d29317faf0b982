#pragma once
// Thumbnails of gallery images, cached on disk as PNGs and made again when missing or stale.
#include <filesystem>

namespace atelier {

// The thumbnail of `image` (longest side at most `max_side`, aspect kept) in `cache_dir`, named
// by the image's path, size and time so an edited image gets a new one. Makes it when missing.
// Throws FormatError naming the image when it cannot be decoded.
std::filesystem::path thumbnail(const std::filesystem::path& image, const std::filesystem::path& cache_dir,
                                int max_side = 256);

}  // namespace atelier
