#pragma once
// The Pillow pixel arithmetic A1111's masking runs through, to the bit (Pillow 9's C code:
// Paste.c, Convert.c, BoxBlur.c, AlphaComposite.c): an image pasted through a mask into a
// premultiplied "RGBa" image, back to straight "RGBA", Gaussian blur, alpha_composite.
#include <cstdint>
#include <vector>

#include "core/io/image.h"

namespace atelier {

// 8-bit RGBA pixels, row by row; straight or premultiplied alpha as each function says.
struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;
};

// Image.new('RGBa').paste(image, mask=ImageOps.invert(mask)): every channel, alpha included,
// v (255 - m) / 255 rounded as PIL does; premultiplied. `mask` is grey (R = G = B), 255 = masked.
RgbaImage premultiplied_outside(const Image8& image, const Image8& mask);

// RGBa -> RGBA: each colour 255 c / a truncated (unchanged where a is 0 or 255).
RgbaImage unpremultiplied(const RgbaImage& image);

// ImageFilter.GaussianBlur(radius) on a premultiplied image: three box blurs along x, then three
// along y, of the extended box radius Pillow derives from the radius; edges extended.
RgbaImage gaussian_blurred(const RgbaImage& image, double radius);

// Image.alpha_composite(destination, source) in place, both straight RGBA of one size.
void alpha_composite(RgbaImage& destination, const RgbaImage& source);

// A1111's apply_overlay: `original` pasted through the inverted `overlay_mask` (A1111's
// mask_for_overlay) into RGBa, made RGBA and composited over `base`; alpha dropped. Where the
// mask is 0 the original comes back unchanged.
Image8 composite_original(RgbaImage base, const Image8& original, const Image8& overlay_mask);

// Image.blend(a, b, alpha) of two images of one size (Blend.c): a + alpha (b - a) per channel in
// float, truncated to 8 bits.
Image8 blended(const Image8& a, const Image8& b, float alpha);

RgbaImage opaque(const Image8& image);  // alpha 255
Image8 without_alpha(const RgbaImage& image);  // convert('RGB'): alpha dropped

}  // namespace atelier
