#include "core/gallery/thumbnails.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "core/io/image.h"
#include "core/io/png.h"
#include "core/io/sha256.h"

namespace atelier {
namespace {

std::string cache_name(const std::filesystem::path& image, int max_side) {
  const std::string key = std::filesystem::absolute(image).string() + "\n" +
                          std::to_string(std::filesystem::file_size(image)) + "\n" +
                          std::to_string(std::filesystem::last_write_time(image).time_since_epoch().count()) + "\n" +
                          std::to_string(max_side);
  Sha256 hash;
  hash.update({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
  return to_hex(hash.finish()).substr(0, 32) + ".png";
}

}  // namespace

std::filesystem::path thumbnail(const std::filesystem::path& image, const std::filesystem::path& cache_dir,
                                int max_side) {
  const std::filesystem::path cached = cache_dir / cache_name(image, max_side);
  if (std::filesystem::exists(cached)) return cached;

  const Image8 full = load_image(image);
  const double scale = std::min(1.0, static_cast<double>(max_side) / std::max(full.width, full.height));
  Image8 small{std::max(1, static_cast<int>(full.width * scale + 0.5)),
               std::max(1, static_cast<int>(full.height * scale + 0.5)), {}};
  small.rgb.resize(static_cast<std::size_t>(small.width) * small.height * 3);
  // INTER_AREA averages the pixels each thumbnail pixel covers: no aliasing when shrinking.
  cv::resize(cv::Mat(full.height, full.width, CV_8UC3, const_cast<std::uint8_t*>(full.rgb.data())),
             cv::Mat(small.height, small.width, CV_8UC3, small.rgb.data()), cv::Size(small.width, small.height), 0, 0,
             cv::INTER_AREA);
  std::filesystem::create_directories(cache_dir);
  write_png(cached, small, {});
  return cached;
}

}  // namespace atelier
