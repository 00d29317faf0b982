#pragma once
// Output folders for the gallery tests: tiny PNGs with A1111 parameters, one second apart
// (image 0 the oldest), in two date sub-folders as the studio writes them.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/io/png.h"

namespace gallery_fixture {

// Image i: prompt "a red fox, number i" (even i) or "a blue whale, number i" (odd); sampler
// Euler for i % 4 == 0, else DPM++ 2M; model tinyA for i < count / 2, else tinyB; 16x8 pixels
// for i % 5 == 0, else 8x8.
inline std::string prompt(int i) {
  return std::string(i % 2 ? "a blue whale" : "a red fox") + ", number " + std::to_string(i);
}

inline int width(int i) { return i % 5 ? 8 : 16; }

inline std::string parameters(int i, int count) {
  return prompt(i) + "\nNegative prompt: blurry\nSteps: 20, Sampler: " + (i % 4 ? "DPM++ 2M" : "Euler") +
         ", Schedule type: Karras, CFG scale: 7, Seed: " + std::to_string(1000 + i) +
         ", Size: " + std::to_string(width(i)) + "x8, Model: " + (i < count / 2 ? "tinyA" : "tinyB");
}

inline std::filesystem::path image_path(const std::filesystem::path& root, int i, int count) {
  return root / (i < count / 2 ? "2024-05-01" : "2024-05-02") / (std::to_string(100000 + i) + ".png");
}

// `atomic`: through write_png (temp file, fsync, rename) as the studio saves; otherwise a
// plain write, for folders of thousands.
inline void write_images(const std::filesystem::path& root, int count, bool atomic) {
  const auto start = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (int i = 0; i < count; ++i) {
    const auto path = image_path(root, i, count);
    std::filesystem::create_directories(path.parent_path());
    const auto pixel_count = static_cast<std::size_t>(width(i) * 8);
    const atelier::Image8 pixels{width(i), 8, std::vector<std::uint8_t>(pixel_count * 3, 128)};
    const std::vector<atelier::PngText> texts{{"parameters", parameters(i, count)}};
    if (atomic) {
      atelier::write_png(path, pixels, texts);
    } else {
      const auto bytes = atelier::encode_png(pixels, texts);
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                   static_cast<std::streamsize>(bytes.size()));
    }
    std::filesystem::last_write_time(path, start + std::chrono::seconds(i));
  }
}

}  // namespace gallery_fixture
