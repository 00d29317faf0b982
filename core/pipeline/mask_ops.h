#pragma once
// The steps A1111's img2img setup takes a mask through before anything is resized
// (modules/processing.py, StableDiffusionProcessingImg2Img.init): binary, inverted, blurred.
#include <filesystem>

#include "core/io/image.h"

namespace atelier {

// Reads `path` at its own size as A1111's create_binary_mask: luma (PIL's "L"), > 128 -> 255
// else 0; grey (R = G = B). FormatError naming the file.
Image8 read_binary_mask(const std::filesystem::path& path);

// 255 - value (ImageOps.invert): A1111's "Inpaint not masked".
Image8 inverted_mask(const Image8& mask);

// cv2.GaussianBlur of `blur` pixels along x, then along y, kernel 2 int(2.5 blur + 0.5) + 1;
// 0 leaves the mask as it is.
Image8 blurred_mask(const Image8& mask, int blur);

// True when every pixel is 0 (PIL's getbbox finds nothing).
bool mask_is_empty(const Image8& mask);

}  // namespace atelier
