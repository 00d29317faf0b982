#include "core/upscale/upscaler.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace atelier {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Upscaler Upscaler::lanczos() { return Upscaler(Kind::Lanczos, "Lanczos", "Lanczos"); }
Upscaler Upscaler::nearest() { return Upscaler(Kind::Nearest, "Nearest", "Nearest"); }

Upscaler Upscaler::model(const std::filesystem::path& file, TileOptions tiles) {
  auto loaded = load_upscaler(file);
  Upscaler upscaler(Kind::Model, file.stem().string(), loaded.description);
  upscaler.network_ = std::move(loaded.network);
  upscaler.tiles_ = tiles;
  return upscaler;
}

Image8 Upscaler::run_model(const Image8& image) const {
  if (!network_) throw InvalidArgument(name_ + " is not a model upscaler");
  at::NoGradGuard no_grad;
  const auto network = [this](const at::Tensor& tile) { return network_->forward(tile); };
  try {
    return unit_tensor_to_image(upscale_tiled(network, network_->scale(), image_to_unit_tensor(image), tiles_));
  } catch (const c10::Error& e) {  // out of memory, mostly
    throw Error("upscaling " + std::to_string(image.width) + "x" + std::to_string(image.height) + " with " + name_ +
                " failed: " + e.what_without_backtrace());
  }
}

Image8 Upscaler::upscale(const Image8& image, double scale) const {
  if (!(scale > 0)) throw InvalidArgument("the upscale factor must be positive, got " + std::to_string(scale));
  // A1111: dest = int((side * scale) // 8 * 8).
  const auto target = [scale](int side) { return static_cast<int>(std::floor(side * scale / 8) * 8); };
  const int width = target(image.width), height = target(image.height);
  if (width < 8 || height < 8)
    throw InvalidArgument("upscaling " + std::to_string(image.width) + "x" + std::to_string(image.height) + " by " +
                          std::to_string(scale) + " leaves less than 8 pixels");
  Image8 result = image;
  if (kind_ == Kind::Model) {
    for (int pass = 0; pass < 3; ++pass) {  // a 1x model runs once
      const int before = result.width;
      result = run_model(result);
      if (result.width == before || (result.width >= width && result.height >= height)) break;
    }
  } else {
    const int w = static_cast<int>(image.width * scale), h = static_cast<int>(image.height * scale);
    result = kind_ == Kind::Lanczos ? resize_lanczos(image, w, h) : resize_nearest(image, w, h);
  }
  if (result.width != width || result.height != height) result = resize_lanczos(result, width, height);
  return result;
}

Upscaler open_upscaler(std::string_view query, const ModelResolver& find, TileOptions tiles) {
  if (same_name(query, "Lanczos")) return Upscaler::lanczos();
  if (same_name(query, "Nearest")) return Upscaler::nearest();
  const std::filesystem::path path(query);
  std::error_code ignored;
  if (std::filesystem::is_regular_file(path, ignored)) return Upscaler::model(path, tiles);
  if (find)
    if (auto found = find(ModelKind::Upscaler, query)) return Upscaler::model(*found, tiles);
  throw InvalidArgument("upscaler '" + std::string(query) +
                        "' not found: give Lanczos, Nearest, an ESRGAN-family file (.pth, .safetensors) or the name "
                        "of one in the model library's upscaler folders (models/ESRGAN, models/RealESRGAN, "
                        "models/upscale_models, upscalers/)");
}

}  // namespace atelier
