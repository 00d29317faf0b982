#pragma once
// A1111's inpaint area "Only masked" (modules/masking.py, processing.py): the box around the
// mask grown by the padding and widened to the generation's aspect ratio, the image and mask
// cropped to it and resized to the generation size, the result resized back into the box.
#include <optional>

#include "core/io/image.h"
#include "core/pipeline/pil_compositing.h"

namespace atelier {

// Pixel box [x1, x2) x [y1, y2), PIL's order.
struct CropBox {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  int width() const { return x2 - x1; }
  int height() const { return y2 - y1; }
  friend bool operator==(const CropBox&, const CropBox&) = default;
};

// get_crop_region_v2: the bounding box of the mask's non-zero pixels grown by `padding` on every
// side within the image; none for an all-black mask.
std::optional<CropBox> mask_crop_box(const Image8& mask, int padding);

// expand_crop_region: the box grown along its short side to the ratio of
// processing_width x processing_height, centred, shifted back inside the image, clamped.
CropBox expand_crop_box(CropBox box, int processing_width, int processing_height, int image_width, int image_height);

Image8 cropped(const Image8& image, CropBox box);

// A1111's uncrop: `generated` resized ("Crop and resize") to the box and placed there on a
// transparent canvas of width x height, for the overlay to be composited over.
RgbaImage uncropped(const Image8& generated, CropBox box, int width, int height);

}  // namespace atelier
