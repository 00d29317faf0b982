#include "core/pipeline/inpaint_area.h"

#include <algorithm>

namespace atelier {
namespace {

// One axis of expand_crop_region: [low, high) grown by int(desired - length), half before
// (rounded down) and half after, moved back inside [0, limit), then clamped to it.
void expand_axis(int& low, int& high, double desired, int limit) {
  const int grow = static_cast<int>(desired - (high - low));
  low -= grow / 2;
  high += grow - grow / 2;
  if (high >= limit) {
    const int over = high - limit;
    high -= over;
    low -= over;
  }
  if (low < 0) {
    high -= low;
    low = 0;
  }
  if (high >= limit) high = limit;
}

}  // namespace

std::optional<CropBox> mask_crop_box(const Image8& mask, int padding) {
  CropBox box{mask.width, mask.height, 0, 0};
  for (int y = 0; y < mask.height; ++y)
    for (int x = 0; x < mask.width; ++x) {
      if (mask.rgb[(std::size_t(y) * mask.width + x) * 3] == 0) continue;
      box = {std::min(box.x1, x), std::min(box.y1, y), std::max(box.x2, x + 1), std::max(box.y2, y + 1)};
    }
  if (box.x2 == 0) return std::nullopt;
  return CropBox{std::max(box.x1 - padding, 0), std::max(box.y1 - padding, 0), std::min(box.x2 + padding, mask.width),
                 std::min(box.y2 + padding, mask.height)};
}

CropBox expand_crop_box(CropBox box, int processing_width, int processing_height, int image_width, int image_height) {
  const double box_ratio = double(box.width()) / box.height();
  const double processing_ratio = double(processing_width) / processing_height;
  if (box_ratio > processing_ratio)
    expand_axis(box.y1, box.y2, box.width() / processing_ratio, image_height);
  else
    expand_axis(box.x1, box.x2, box.height() * processing_ratio, image_width);
  return box;
}

Image8 cropped(const Image8& image, CropBox box) {
  Image8 out{box.width(), box.height(), std::vector<std::uint8_t>(std::size_t(box.width()) * box.height() * 3)};
  for (int y = 0; y < box.height(); ++y) {
    const auto* row = &image.rgb[(std::size_t(box.y1 + y) * image.width + box.x1) * 3];
    std::copy_n(row, std::size_t(box.width()) * 3, &out.rgb[std::size_t(y) * box.width() * 3]);
  }
  return out;
}

RgbaImage uncropped(const Image8& generated, CropBox box, int width, int height) {
  const RgbaImage fitted = opaque(resize_for_generation(generated, box.width(), box.height(), ResizeMode::CropAndResize));
  RgbaImage canvas{width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 4, 0)};
  for (int y = 0; y < box.height(); ++y)
    std::copy_n(&fitted.rgba[std::size_t(y) * box.width() * 4], std::size_t(box.width()) * 4,
                &canvas.rgba[(std::size_t(box.y1 + y) * width + box.x1) * 4]);
  return canvas;
}

}  // namespace atelier
