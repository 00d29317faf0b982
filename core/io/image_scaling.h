#pragma once
// Images resampled as A1111 resizes them, and as the [0, 1] tensors upscaling networks take.
// (Implemented in image.cpp, beside the other conversions of image.h.)
#include <ATen/ATen.h>

#include "core/io/image.h"

namespace atelier {

// Resampling to width x height as A1111's PIL Image.resize does it, with OpenCV: LANCZOS as
// INTER_LANCZOS4 when enlarging and INTER_AREA when shrinking (OpenCV's Lanczos does not widen
// its kernel to shrink); NEAREST as INTER_NEAREST_EXACT (pixel centres, as PIL picks them).
// Throws InvalidArgument for an empty image or a non-positive size.
Image8 resize_lanczos(const Image8& image, int width, int height);
Image8 resize_nearest(const Image8& image, int width, int height);

// F32 [1, 3, H, W] in [0, 1] (u8 / 255), what upscaling networks take, and back: clamped to
// [0, 1] and truncated to 8 bits as A1111 does (NaN becomes 0). InvalidArgument on another shape.
at::Tensor image_to_unit_tensor(const Image8& image);
Image8 unit_tensor_to_image(const at::Tensor& tensor);

}  // namespace atelier
