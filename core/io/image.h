#pragma once
// Images in and out of the engine: decoding init images (stb_image), fitting them to the
// generation size as A1111 does (OpenCV), and converting to and from the tensors the VAE sees.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace atelier {

// 8-bit RGB pixels, row by row (HWC): rgb.size() == width * height * 3.
struct Image8 {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;
};

// Decodes a PNG, JPEG or BMP file to RGB (alpha dropped, grey expanded). Throws FormatError
// naming the file and the reason on any failure: missing, truncated, corrupt, not an image,
// or a side longer than 16384 pixels.
Image8 load_image(const std::filesystem::path& path);

// The width and height load_image would decode, read from the file's header only (so a huge
// image can be refused before it is decoded). FormatError as load_image.
std::pair<int, int> image_dimensions(const std::filesystem::path& path);

// How an init image of another shape becomes width x height (A1111's img2img "Resize mode").
enum class ResizeMode {
  JustResize,     // stretch to the new size, ignoring the aspect ratio
  CropAndResize,  // scale to cover the new size, then crop the overflow evenly on both sides
  ResizeAndFill,  // scale to fit inside, centre, and fill the borders by stretching the edges
};

std::string_view to_string(ResizeMode mode);  // A1111's labels: "Just resize", ...
// Case-insensitive; accepts A1111's labels, the same with '-' or '_' for spaces, and A1111's
// indices "0", "1", "2". Throws InvalidArgument listing the choices.
ResizeMode parse_resize_mode(std::string_view name);

// Throws InvalidArgument for an empty image or a non-positive size.
Image8 resize_for_generation(const Image8& image, int width, int height, ResizeMode mode);

// F32 [1, 3, H, W] in [-1, 1] (2 * u8 / 255 - 1): what the VAE encoder takes.
at::Tensor image_to_tensor(const Image8& image);
// [1, 3, H, W] in [-1, 1] (any device and floating type) back to pixels, as A1111 saves them:
// u8 = clamp((x + 1) / 2, 0, 1) * 255 truncated, not rounded. Throws InvalidArgument on
// another shape.
Image8 tensor_to_image(const at::Tensor& tensor);

}  // namespace atelier
