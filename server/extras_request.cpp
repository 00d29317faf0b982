#include "server/extras_request.h"

#include <cmath>

#include "core/error.h"
#include "core/gallery/upscaled_image.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "core/pipeline/pil_compositing.h"
#include "core/upscale/upscaler.h"
#include "server/api_error.h"
#include "server/base64.h"
#include "server/json_fields.h"
#include "server/request_images.h"

namespace atelier::server {
namespace {

using nlohmann::json;

bool is_built_in(const std::string& upscaler) { return upscaler == "None" || upscaler == "Lanczos" || upscaler == "Nearest"; }

// A1111's plaintext_to_html: the text escaped, lines joined by <br>, in one paragraph.
std::string plaintext_to_html(const std::string& text) {
  std::string html = "<p>";
  for (const char c : text) {
    switch (c) {
      case '&': html += "&amp;"; break;
      case '<': html += "&lt;"; break;
      case '>': html += "&gt;"; break;
      case '"': html += "&quot;"; break;
      case '\'': html += "&#x27;"; break;
      case '\n': html += "<br>\n"; break;
      default: html += c;
    }
  }
  return html + "</p>";
}

}  // namespace

ExtrasRequest parse_extras_request(const json& body, const ModelCatalog& catalog) {
  const JsonFields f(body);
  if (f.integer_in("resize_mode", 0, 1).value_or(0) != 0)
    throw FieldError("resize_mode", "1 (upscale to a size) is not supported; give upscaling_resize");
  for (const char* restorer : {"gfpgan_visibility", "codeformer_visibility"})
    if (f.number(restorer).value_or(0) != 0) throw FieldError(restorer, "face restoration is not supported");
  ExtrasRequest request;
  request.scale = f.number_in("upscaling_resize", 0, 8).value_or(2);
  if (request.scale <= 0) throw FieldError("upscaling_resize", "must be above 0");
  for (const auto& [field, name] : {std::pair{"upscaler_1", &request.upscaler}, std::pair{"upscaler_2", &request.second_upscaler}}) {
    *name = f.string(field).value_or("None");
    if (!is_built_in(*name) && !catalog.find_upscaler(*name))
      throw ApiError(404, std::string(field) + ": upscaler '" + *name + "' not found (see /sdapi/v1/upscalers)");
  }
  request.second_visibility = f.number_in("extras_upscaler_2_visibility", 0, 1).value_or(0);

  const auto* image = f.value("image");
  if (!image) throw FieldError("image", "required: a base64 image");
  request.files = std::make_shared<TempFolder>();
  request.image = image_file("image", *image, *request.files, "image");
  const auto [width, height] = image_dimensions(request.image);
  const double out_width = std::round(width * request.scale), out_height = std::round(height * request.scale);
  if (out_width > kMaxUpscaledSide || out_height > kMaxUpscaledSide || out_width * out_height > double(kMaxUpscaledPixels))
    throw ApiError(413, "upscaling_resize: " + std::to_string(width) + "x" + std::to_string(height) + " times " +
                            json(request.scale).dump() + " is too large (at most " + std::to_string(kMaxUpscaledSide) +
                            " a side, " + std::to_string(kMaxUpscaledPixels >> 20) + " megapixels)");
  return request;
}

json run_extras(const ExtrasRequest& request, const ModelCatalog& catalog) {
  const Image8 source = load_image(request.image);
  const auto texts = png_texts_if_any(request.image);  // a JPEG or BMP has none
  if (request.upscaler == "None")  // A1111 then leaves the image as it is, upscaler 2 too
    return {{"html_info", plaintext_to_html("")}, {"image", base64_encode(encode_png(source, texts))}};
  // A library upscaler by its path (the name was checked against the list): a request names no file.
  const auto open = [&](const std::string& name, const char* field) {
    const auto model = is_built_in(name) ? std::nullopt : catalog.find_upscaler(name);
    if (!is_built_in(name) && !model)
      throw ApiError(404, std::string(field) + ": upscaler '" + name + "' is no longer in the library");
    return open_upscaler(model ? model->string() : name, {});
  };
  const Upscaler upscaler = open(request.upscaler, "upscaler_1");
  Image8 result = upscaler.upscale(source, request.scale);
  std::string second_name;
  if (request.second_upscaler != "None" && request.second_visibility > 0) {
    // postprocessing_upscale.py: both upscales of the source, Image.blend at the visibility.
    const Upscaler second = open(request.second_upscaler, "upscaler_2");
    result = blended(result, second.upscale(source, request.scale), static_cast<float>(request.second_visibility));
    second_name = second.name();
  }
  const auto upscaled_texts = upscaled_image_texts(texts, request.scale, upscaler.name(), second_name);
  std::string infotext;
  for (const auto& text : upscaled_texts)
    if (text.keyword == "postprocessing") infotext = text.text;
  return {{"html_info", plaintext_to_html(infotext)}, {"image", base64_encode(encode_png(result, upscaled_texts))}};
}

}  // namespace atelier::server
