#include "core/pipeline/mask_ops.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace atelier {
namespace {

constexpr int kBinaryThreshold = 128;  // A1111's create_binary_mask: 255 if x > 128

// PIL's "L" conversion: L = (299 R + 587 G + 114 B) / 1000, rounded.
std::uint8_t luma(const std::uint8_t* rgb) {
  return static_cast<std::uint8_t>((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 + 500) / 1000);
}

Image8 grey_image(int width, int height, const std::uint8_t* values) {
  Image8 image{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3)};
  for (int i = 0; i < width * height; ++i) std::fill_n(&image.rgb[3 * i], 3, values[i]);
  return image;
}

}  // namespace

Image8 read_binary_mask(const std::filesystem::path& path) {
  const Image8 image = load_image(path);
  std::vector<std::uint8_t> values(std::size_t(image.width) * image.height);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = luma(&image.rgb[3 * i]) > kBinaryThreshold ? 255 : 0;
  return grey_image(image.width, image.height, values.data());
}

Image8 inverted_mask(const Image8& mask) {
  Image8 out = mask;
  for (auto& value : out.rgb) value = static_cast<std::uint8_t>(255 - value);
  return out;
}

Image8 blurred_mask(const Image8& mask, int blur) {
  if (blur <= 0) return mask;
  cv::Mat channel(mask.height, mask.width, CV_8UC1);
  for (int i = 0; i < mask.width * mask.height; ++i) channel.data[i] = mask.rgb[3 * i];
  const int kernel = 2 * static_cast<int>(2.5 * blur + 0.5) + 1;
  cv::GaussianBlur(channel, channel, cv::Size(kernel, 1), blur);
  cv::GaussianBlur(channel, channel, cv::Size(1, kernel), blur);
  return grey_image(mask.width, mask.height, channel.data);
}

bool mask_is_empty(const Image8& mask) {
  return std::all_of(mask.rgb.begin(), mask.rgb.end(), [](std::uint8_t value) { return value == 0; });
}

}  // namespace atelier
