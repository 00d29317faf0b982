#include "core/pipeline/inpainting.h"

#include "core/pipeline/mask_ops.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace atelier {
namespace {

cv::Mat first_channel(const Image8& image) {
  cv::Mat out(image.height, image.width, CV_8UC1);
  for (int i = 0; i < image.width * image.height; ++i) out.data[i] = image.rgb[3 * i];
  return out;
}

// Pillow's bicubic filter (a = -0.5).
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

// One axis of Pillow's antialiased resampling: each output sample averages the inputs under
// the bicubic kernel stretched by the reduction factor, centred at (i + 0.5) scale; 8-bit out.
std::vector<std::uint8_t> resample(const std::vector<std::uint8_t>& in, int in_size, int out_size, int lines,
                                   bool along_rows) {
  const double scale = double(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale;
  std::vector<std::uint8_t> out(std::size_t(out_size) * lines);
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    const int first = std::max(static_cast<int>(center - support + 0.5), 0);
    const int last = std::min(static_cast<int>(center + support + 0.5), in_size);
    std::vector<double> weights;
    double total = 0;
    for (int i = first; i < last; ++i) total += weights.emplace_back(bicubic((i - center + 0.5) / filter_scale));
    for (int line = 0; line < lines; ++line) {
      double sum = 0;
      for (int i = first; i < last; ++i) {
        const auto index = along_rows ? std::size_t(line) * in_size + i : std::size_t(i) * lines + line;
        sum += weights[i - first] / total * in[index];
      }
      const auto index = along_rows ? std::size_t(line) * out_size + o : std::size_t(o) * lines + line;
      out[index] = static_cast<std::uint8_t>(std::clamp(std::round(sum), 0.0, 255.0));
    }
  }
  return out;
}

}  // namespace

InpaintMask load_inpaint_mask(const std::filesystem::path& path, int width, int height, ResizeMode mode, int blur) {
  return resize_for_generation(blurred_mask(read_binary_mask(path), blur), width, height, mode);
}

at::Tensor conditioning_mask(const InpaintMask& mask) {
  const cv::Mat channel = first_channel(mask);
  return at::from_blob(channel.data, {1, 1, mask.height, mask.width}, at::kByte).to(at::kFloat).div(255).round();
}

at::Tensor latent_repaint_mask(const InpaintMask& mask, int latent_height, int latent_width) {
  const cv::Mat channel = first_channel(mask);
  const std::vector<std::uint8_t> pixels(channel.data, channel.data + channel.total());
  // Pillow resizes horizontally first, then vertically, with 8-bit samples in between.
  const auto columns = resample(pixels, mask.width, latent_width, mask.height, /*along_rows=*/true);
  auto reduced = resample(columns, mask.height, latent_height, latent_width, /*along_rows=*/false);
  return at::from_blob(reduced.data(), {1, 1, latent_height, latent_width}, at::kByte).to(at::kFloat).div(255).round();
}

}  // namespace atelier
