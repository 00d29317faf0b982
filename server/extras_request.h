#pragma once
// A1111's /sdapi/v1/extra-single-image (modules/api/models.py ExtrasSingleImageRequest): an image
// upscaled by a factor with one upscaler, as its extras tab does it, answered as
// {"html_info", "image"}, with its second upscaler blended in at its visibility. Face restoration
// and "upscale to" a size are refused.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/model_catalog.h"
#include "server/temp_folder.h"

namespace atelier::server {

struct ExtrasRequest {
  std::shared_ptr<TempFolder> files;  // holds the image
  std::filesystem::path image;
  std::string upscaler = "None";  // "None", "Lanczos", "Nearest" or a library upscaler's name
  double scale = 2;
  std::string second_upscaler = "None";  // A1111's upscaler_2, the same kinds of name
  double second_visibility = 0;          // extras_upscaler_2_visibility, in [0, 1]
};

// The largest upscaled image (pixels, either side): 413 beyond.
inline constexpr int kMaxUpscaledSide = 16384;
inline constexpr long kMaxUpscaledPixels = 64L << 20;

// FieldError / ApiError (404 for an unknown upscaler, 413 for an image too large) naming the field.
ExtrasRequest parse_extras_request(const nlohmann::json& body, const ModelCatalog& catalog);

// Upscales (on the caller's thread: queue it beside generations) and answers A1111's response:
// the PNG with the source's text chunks and A1111's "postprocessing" ones, and that infotext as HTML.
nlohmann::json run_extras(const ExtrasRequest& request, const ModelCatalog& catalog);

}  // namespace atelier::server
