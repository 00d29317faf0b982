#include "server/extras_request.h"

#include <cmath>

#include "core/error.h"
#include "core/gallery/upscaled_image.h"
#include "core/io/image.h"
#include "core/io/png.h"
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

std::vector<PngText> png_texts_of(const std::filesystem::path& image) {
  try {
    return read_png_texts(image);
  } catch (const FormatError&) {
    return {};  // JPEG or BMP: no text chunks
  }
}

}  // namespace

ExtrasRequest parse_extras_request(const json& body, const ModelCatalog& catalog) {
  const JsonFields f(body);
  if (f.integer_in("resize_mode", 0, 1).value_or(0) != 0)
    throw FieldError("resize_mode", "1 (upscale to a size) is not supported; give upscaling_resize");
  for (const char* restorer : {"gfpgan_visibility", "codeformer_visibility"})
    if (f.number(restorer).value_or(0) != 0) throw FieldError(restorer, "face restoration is not supported");
  const auto second = f.string("upscaler_2").value_or("None");
  if (second != "None" && f.number("extras_upscaler_2_visibility").value_or(0) != 0)
    throw FieldError("upscaler_2", "a second upscaler is not supported");

  ExtrasRequest request;
  request.scale = f.number_in("upscaling_resize", 0, 8).value_or(2);
  if (request.scale <= 0) throw FieldError("upscaling_resize", "must be above 0");
  request.upscaler = f.string("upscaler_1").value_or("None");
  if (!is_built_in(request.upscaler) && !catalog.find_upscaler(request.upscaler))
    throw ApiError(404, "upscaler_1: upscaler '" + request.upscaler + "' not found (see /sdapi/v1/upscalers)");

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
  const auto texts = png_texts_of(request.image);
  if (request.upscaler == "None")  // A1111 then leaves the image as it is
    return {{"html_info", plaintext_to_html("")}, {"image", base64_encode(encode_png(source, texts))}};
  // A library upscaler by its path (the name was checked against the list): a request names no file.
  const auto model = is_built_in(request.upscaler) ? std::nullopt : catalog.find_upscaler(request.upscaler);
  if (!is_built_in(request.upscaler) && !model)
    throw ApiError(404, "upscaler_1: upscaler '" + request.upscaler + "' is no longer in the library");
  const Upscaler upscaler = open_upscaler(model ? model->string() : request.upscaler, {});
  const Image8 result = upscaler.upscale(source, request.scale);
  const auto upscaled_texts = upscaled_image_texts(texts, request.scale, upscaler.name());
  std::string infotext;
  for (const auto& text : upscaled_texts)
    if (text.keyword == "postprocessing") infotext = text.text;
  return {{"html_info", plaintext_to_html(infotext)}, {"image", base64_encode(encode_png(result, upscaled_texts))}};
}

}  // namespace atelier::server
