#include "server/request_images.h"

#include "core/error.h"
#include "core/io/image.h"
#include "server/api_error.h"
#include "server/base64.h"

namespace atelier::server {

std::filesystem::path image_file(const std::string& field, const nlohmann::json& value, const TempFolder& files,
                                 const std::string& name) {
  if (!value.is_string()) throw FieldError(field, "expected a base64 image string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.starts_with("http://") || text.starts_with("https://"))
    throw FieldError(field, "image URLs are not fetched; send the image as base64");
  const auto bytes = base64_decode(text);
  if (!bytes || bytes->empty()) throw FieldError(field, "not valid base64");
  const auto path = files.write(name, *bytes);
  try {
    const auto [width, height] = image_dimensions(path);
    if (width > kMaxInputSide || height > kMaxInputSide || long(width) * height > kMaxInputPixels)
      throw ApiError(413, field + ": image of " + std::to_string(width) + "x" + std::to_string(height) +
                              " is too large (at most " + std::to_string(kMaxInputSide) + " a side, " +
                              std::to_string(kMaxInputPixels >> 20) + " megapixels)");
    load_image(path);
  } catch (const FormatError&) {
    throw FieldError(field, "not a PNG, JPEG or BMP image");
  }
  return path;
}

}  // namespace atelier::server
