#include "core/io/image.h"
#include "core/io/image_scaling.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.h"

// stb_image's implementation lives in this file only. Formats are limited to the ones an
// init image comes in: stb's signature-less formats (TGA) would accept many non-images.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS 16384
#include <stb/stb_image.h>

namespace atelier {

Image8 load_image(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    throw FormatError("cannot read image " + path.string() + ": " + std::generic_category().message(errno));
  }
  int width = 0;
  int height = 0;
  int channels_in_file = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_file(file.get(), &width, &height, &channels_in_file, 3), &stbi_image_free);
  if (!pixels) throw FormatError(path.string() + ": cannot decode image: " + stbi_failure_reason());
  const auto size = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3;
  return Image8{width, height, std::vector<std::uint8_t>(pixels.get(), pixels.get() + size)};
}

std::pair<int, int> image_dimensions(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw FormatError("cannot read image " + path.string() + ": " + std::generic_category().message(errno));
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_file(file.get(), &width, &height, &channels))
    throw FormatError(path.string() + ": cannot decode image: " + stbi_failure_reason());
  return {width, height};
}

namespace {

constexpr std::array<std::pair<ResizeMode, std::string_view>, 3> kResizeModeLabels{{
    {ResizeMode::JustResize, "Just resize"},
    {ResizeMode::CropAndResize, "Crop and resize"},
    {ResizeMode::ResizeAndFill, "Resize and fill"},
}};

// "Crop-And_Resize" -> "crop and resize".
std::string normalized_label(std::string_view name) {
  std::string label(name);
  for (char& c : label) {
    if (c == '-' || c == '_') c = ' ';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return label;
}

void check_pixels(const Image8& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw InvalidArgument("image of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                          " with " + std::to_string(image.rgb.size()) + " bytes is not 8-bit RGB");
  }
}

// A view of the pixels; OpenCV never writes through it here.
cv::Mat as_mat(const Image8& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.rgb.data()));
}

Image8 to_image(const cv::Mat& mat) {
  const cv::Mat packed = mat.isContinuous() ? mat : mat.clone();
  const std::uint8_t* pixels = packed.ptr<std::uint8_t>();
  const std::size_t size = packed.total() * packed.elemSize();
  return Image8{packed.cols, packed.rows, std::vector<std::uint8_t>(pixels, pixels + size)};
}

// A1111 resizes with PIL's LANCZOS. OpenCV's Lanczos does not widen its kernel when shrinking
// (so it would alias), hence INTER_AREA for shrinking and INTER_LANCZOS4 for enlarging: close
// to PIL's result, not identical.
cv::Mat scaled(const cv::Mat& source, int width, int height) {
  if (source.cols == width && source.rows == height) return source;
  const bool shrinking = width <= source.cols && height <= source.rows;
  cv::Mat result;
  cv::resize(source, result, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LANCZOS4);
  return result;
}

// The size A1111 scales the source to before cropping (`cover`) or filling (fit): the target
// size along one side and the source's aspect ratio (rounded down) along the other.
cv::Size scaled_size(const cv::Mat& source, int width, int height, bool cover) {
  // width / height > source width / source height, without floating point.
  const bool target_is_wider =
      static_cast<std::int64_t>(width) * source.rows > static_cast<std::int64_t>(source.cols) * height;
  if (target_is_wider == cover) {
    return {width, std::max(1, static_cast<int>(static_cast<std::int64_t>(source.rows) * width / source.cols))};
  }
  return {std::max(1, static_cast<int>(static_cast<std::int64_t>(source.cols) * height / source.rows)), height};
}

}  // namespace

std::string_view to_string(ResizeMode mode) {
  for (const auto& [known, label] : kResizeModeLabels) {
    if (known == mode) return label;
  }
  throw InvalidArgument("unknown resize mode " + std::to_string(static_cast<int>(mode)));
}

ResizeMode parse_resize_mode(std::string_view name) {
  const std::string wanted = normalized_label(name);
  for (std::size_t index = 0; index < kResizeModeLabels.size(); ++index) {
    const auto& [mode, label] = kResizeModeLabels[index];
    if (wanted == normalized_label(label) || wanted == std::to_string(index)) return mode;
  }
  throw InvalidArgument("unknown resize mode '" + std::string(name) +
                        "': choose just resize (0), crop and resize (1) or resize and fill (2)");
}

namespace {

void check_resize(const Image8& image, int width, int height) {
  check_pixels(image);
  if (width <= 0 || height <= 0) {
    throw InvalidArgument("cannot resize an image to " + std::to_string(width) + "x" + std::to_string(height));
  }
}

}  // namespace

Image8 resize_lanczos(const Image8& image, int width, int height) {
  check_resize(image, width, height);
  return to_image(scaled(as_mat(image), width, height));
}

Image8 resize_nearest(const Image8& image, int width, int height) {
  check_resize(image, width, height);
  cv::Mat result;
  cv::resize(as_mat(image), result, cv::Size(width, height), 0, 0, cv::INTER_NEAREST_EXACT);
  return to_image(result);
}

Image8 resize_for_generation(const Image8& image, int width, int height, ResizeMode mode) {
  check_resize(image, width, height);
  const cv::Mat source = as_mat(image);
  switch (mode) {
    case ResizeMode::JustResize:
      return to_image(scaled(source, width, height));
    case ResizeMode::CropAndResize: {
      const cv::Size cover = scaled_size(source, width, height, true);
      const cv::Mat resized = scaled(source, cover.width, cover.height);
      // The same offsets as A1111's paste at (width / 2 - w / 2, height / 2 - h / 2).
      const cv::Rect centre(cover.width / 2 - width / 2, cover.height / 2 - height / 2, width, height);
      return to_image(resized(centre));
    }
    case ResizeMode::ResizeAndFill: {
      const cv::Size fit = scaled_size(source, width, height, false);
      const cv::Mat resized = scaled(source, fit.width, fit.height);
      const int top = height / 2 - fit.height / 2;
      const int left = width / 2 - fit.width / 2;
      // A1111 stretches the outermost row or column across each border: edge replication.
      cv::Mat filled;
      cv::copyMakeBorder(resized, filled, top, height - fit.height - top, left, width - fit.width - left,
                         cv::BORDER_REPLICATE);
      return to_image(filled);
    }
  }
  throw InvalidArgument("unknown resize mode " + std::to_string(static_cast<int>(mode)));
}

at::Tensor image_to_unit_tensor(const Image8& image) {
  check_pixels(image);
  const at::Tensor pixels = at::from_blob(const_cast<std::uint8_t*>(image.rgb.data()),
                                          {1, image.height, image.width, 3}, at::kByte);
  return pixels.to(at::kFloat).div_(255).permute({0, 3, 1, 2}).contiguous();
}

at::Tensor image_to_tensor(const Image8& image) { return image_to_unit_tensor(image).mul_(2).sub_(1); }

namespace {

// The detached F32 CPU copy of a [1, 3, H, W] floating-point image, NaN replaced by `nan`.
at::Tensor checked_image_tensor(const at::Tensor& tensor, double nan) {
  if (tensor.dim() != 4 || tensor.size(0) != 1 || tensor.size(1) != 3 || tensor.size(2) == 0 ||
      tensor.size(3) == 0 || !at::isFloatingType(tensor.scalar_type())) {
    throw InvalidArgument("expected a floating-point image tensor of shape [1, 3, H, W], got " +
                          std::string(at::toString(tensor.scalar_type())) + " " + c10::str(tensor.sizes()));
  }
  return at::nan_to_num(tensor.detach().to(at::kCPU, at::kFloat), nan);
}

}  // namespace

Image8 unit_tensor_to_image(const at::Tensor& tensor) {
  const at::Tensor x = checked_image_tensor(tensor, 0.0);
  // to(kByte) truncates toward zero, like A1111's astype(np.uint8).
  const at::Tensor bytes = x.clamp(0, 1).mul(255).to(at::kByte).squeeze(0).permute({1, 2, 0}).contiguous();
  const auto* data = bytes.data_ptr<std::uint8_t>();
  return Image8{static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)),
                std::vector<std::uint8_t>(data, data + bytes.numel())};
}

Image8 tensor_to_image(const at::Tensor& tensor) {
  // NaN (an overflowing fp16 VAE) becomes black, as numpy's cast gives A1111 on x86.
  const at::Tensor x = checked_image_tensor(tensor, -1.0);
  return unit_tensor_to_image((x + 1) / 2);
}

}  // namespace atelier
