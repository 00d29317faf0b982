#include "core/pipeline/pil_compositing.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace atelier {
namespace {

// Pillow's DIV255: x / 255 rounded, for x up to 255 * 255.
std::uint32_t div255(std::uint32_t x) {
  const std::uint32_t t = x + 128;
  return ((t >> 8) + t) >> 8;
}

// BoxBlur.c's _gaussian_blur_radius: the box radius whose `passes` repetitions have the
// Gaussian's variance (Gwosdek et al., extended box filter).
float box_radius(float radius, int passes) {
  const float sigma2 = radius * radius / passes;
  const auto length = static_cast<float>(std::sqrt(12.0 * sigma2 + 1.0));  // in double, as Pillow
  const auto whole = static_cast<float>(std::floor((length - 1.0) / 2.0));
  float fraction = (2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2);
  fraction /= 6 * (sigma2 - (whole + 1) * (whole + 1));
  return whole + fraction;
}

// One pass of ImagingHorizontalBoxBlur over every row: the sum of the 2 r + 1 nearest pixels
// (edges extended) weighted ww, the two beyond weighted fw, in 24-bit fixed point.
void box_blur_rows(std::vector<std::uint8_t>& pixels, int width, int height, float radius) {
  const int whole = static_cast<int>(radius);
  const auto ww = static_cast<std::uint32_t>((1 << 24) / (radius * 2 + 1));
  const std::uint32_t fw = ((1 << 24) - (whole * 2 + 1) * ww) / 2;
  std::vector<std::uint8_t> line(std::size_t(width) * 4);
  auto at = [width](int x) { return std::clamp(x, 0, width - 1); };
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = &pixels[std::size_t(y) * width * 4];
    for (int c = 0; c < 4; ++c) {
      std::uint32_t sum = 0;
      for (int k = -whole - 1; k < whole; ++k) sum += row[at(k) * 4 + c];  // the window of x = -1
      for (int x = 0; x < width; ++x) {
        sum += row[at(x + whole) * 4 + c];
        sum -= row[at(x - whole - 1) * 4 + c];
        const std::uint32_t bulk = sum * ww + (row[at(x - whole - 1) * 4 + c] + row[at(x + whole + 1) * 4 + c]) * fw;
        line[std::size_t(x) * 4 + c] = static_cast<std::uint8_t>((bulk + (1 << 23)) >> 24);
      }
    }
    std::copy(line.begin(), line.end(), row);
  }
}

std::vector<std::uint8_t> transposed(const std::vector<std::uint8_t>& pixels, int width, int height) {
  std::vector<std::uint8_t> out(pixels.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      std::copy_n(&pixels[(std::size_t(y) * width + x) * 4], 4, &out[(std::size_t(x) * height + y) * 4]);
  return out;
}

}  // namespace

RgbaImage premultiplied_outside(const Image8& image, const Image8& mask) {
  RgbaImage out{image.width, image.height, std::vector<std::uint8_t>(std::size_t(image.width) * image.height * 4)};
  for (int i = 0; i < image.width * image.height; ++i) {
    const std::uint32_t alpha = 255 - mask.rgb[3 * i];
    for (int c = 0; c < 3; ++c) out.rgba[4 * i + c] = static_cast<std::uint8_t>(div255(image.rgb[3 * i + c] * alpha));
    out.rgba[4 * i + 3] = static_cast<std::uint8_t>(div255(255 * alpha));
  }
  return out;
}

RgbaImage unpremultiplied(const RgbaImage& image) {
  RgbaImage out = image;
  for (std::size_t i = 0; i < out.rgba.size(); i += 4) {
    const std::uint32_t alpha = out.rgba[i + 3];
    if (alpha == 0 || alpha == 255) continue;
    for (int c = 0; c < 3; ++c) out.rgba[i + c] = static_cast<std::uint8_t>(std::min(255u, 255u * out.rgba[i + c] / alpha));
  }
  return out;
}

RgbaImage gaussian_blurred(const RgbaImage& image, double radius) {
  constexpr int kPasses = 3;
  const float box = box_radius(static_cast<float>(radius), kPasses);
  auto pixels = image.rgba;
  for (int pass = 0; pass < kPasses; ++pass) box_blur_rows(pixels, image.width, image.height, box);
  pixels = transposed(pixels, image.width, image.height);
  for (int pass = 0; pass < kPasses; ++pass) box_blur_rows(pixels, image.height, image.width, box);
  return {image.width, image.height, transposed(pixels, image.height, image.width)};
}

void alpha_composite(RgbaImage& destination, const RgbaImage& source) {
  constexpr std::uint32_t kPrecision = 7;  // AlphaComposite.c's PRECISION_BITS
  auto shift_div255 = [](std::uint32_t x) { return ((x >> 8) + x) >> 8; };
  for (std::size_t i = 0; i < destination.rgba.size(); i += 4) {
    const std::uint8_t* src = &source.rgba[i];
    std::uint8_t* dst = &destination.rgba[i];
    if (src[3] == 0) continue;
    const std::uint32_t blend = dst[3] * (255u - src[3]);
    const std::uint32_t out_alpha255 = src[3] * 255u + blend;
    const std::uint32_t coef1 = src[3] * 255u * 255u * (1u << kPrecision) / out_alpha255;
    const std::uint32_t coef2 = 255u * (1u << kPrecision) - coef1;
    for (int c = 0; c < 3; ++c) {
      const std::uint32_t mixed = src[c] * coef1 + dst[c] * coef2;
      dst[c] = static_cast<std::uint8_t>(shift_div255(mixed + (0x80u << kPrecision)) >> kPrecision);
    }
    dst[3] = static_cast<std::uint8_t>(shift_div255(out_alpha255 + 0x80));
  }
}

Image8 composite_original(RgbaImage base, const Image8& original, const Image8& overlay_mask) {
  alpha_composite(base, unpremultiplied(premultiplied_outside(original, overlay_mask)));
  return without_alpha(base);
}

Image8 blended(const Image8& a, const Image8& b, float alpha) {
  if (a.width != b.width || a.height != b.height) throw InvalidArgument("blended: the images differ in size");
  Image8 out{a.width, a.height, std::vector<std::uint8_t>(a.rgb.size())};
  for (std::size_t i = 0; i < a.rgb.size(); ++i)
    out.rgb[i] = static_cast<std::uint8_t>(static_cast<int>(a.rgb[i]) + alpha * (static_cast<int>(b.rgb[i]) - static_cast<int>(a.rgb[i])));
  return out;
}

RgbaImage opaque(const Image8& image) {
  RgbaImage out{image.width, image.height, std::vector<std::uint8_t>(std::size_t(image.width) * image.height * 4, 255)};
  for (int i = 0; i < image.width * image.height; ++i) std::copy_n(&image.rgb[3 * i], 3, &out.rgba[4 * i]);
  return out;
}

Image8 without_alpha(const RgbaImage& image) {
  Image8 out{image.width, image.height, std::vector<std::uint8_t>(std::size_t(image.width) * image.height * 3)};
  for (int i = 0; i < image.width * image.height; ++i) std::copy_n(&image.rgba[4 * i], 3, &out.rgb[3 * i]);
  return out;
}

}  // namespace atelier
