#pragma once
// The images a request carries as base64 fields (init images, masks, extras' image): decoded,
// checked to be a PNG, JPEG or BMP of bounded size, and written to the request's private folder.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "server/temp_folder.h"

namespace atelier::server {

// The largest image (pixels, either side) a request may carry: 413 beyond.
inline constexpr int kMaxInputSide = 8192;
inline constexpr long kMaxInputPixels = 32L << 20;

// The image of field `field` (base64, a data: URL prefix allowed) written to `files` as `name`.
// FieldError for a value that is not a base64 image (URLs are not fetched), ApiError 413 for one
// too large.
std::filesystem::path image_file(const std::string& field, const nlohmann::json& value, const TempFolder& files,
                                 const std::string& name);

}  // namespace atelier::server
