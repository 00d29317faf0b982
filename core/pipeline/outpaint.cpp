#include "core/pipeline/outpaint.h"

#include <opencv2/core.hpp>

namespace atelier {
namespace {

Image8 bordered(const Image8& image, int left, int right, int top, int bottom, int border_type, int value = 0) {
  const cv::Mat source(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.rgb.data()));
  cv::Mat out;
  cv::copyMakeBorder(source, out, top, bottom, left, right, border_type, cv::Scalar::all(value));
  return Image8{out.cols, out.rows, std::vector<std::uint8_t>(out.data, out.data + out.total() * out.elemSize())};
}

}  // namespace

Canvas extend_canvas(const Image8& image, const Image8& mask, GenerationParams::Borders borders) {
  const auto [left, right, top, bottom] = borders;
  return {bordered(image, left, right, top, bottom, cv::BORDER_REPLICATE),
          bordered(mask, left, right, top, bottom, cv::BORDER_CONSTANT, 255)};
}

Canvas padded_canvas(const Canvas& canvas, int width, int height) {
  const int right = width - canvas.image.width, bottom = height - canvas.image.height;
  return {bordered(canvas.image, 0, right, 0, bottom, cv::BORDER_REPLICATE),
          bordered(canvas.mask, 0, right, 0, bottom, cv::BORDER_CONSTANT, 0)};
}

}  // namespace atelier
