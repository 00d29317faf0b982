#include "core/gallery/upscaled_image.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace atelier {
namespace {

// A1111's infotext_utils.quote.
std::string quoted(const std::string& value) {
  if (value.find_first_of(",:\n") == std::string::npos) return value;
  return nlohmann::json(value).dump();
}

// The factor as A1111's infotexts show it: "4", "2.5" (the shortest text that reads back the same).
std::string factor_text(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

}  // namespace

std::vector<PngText> upscaled_image_texts(const std::vector<PngText>& source, double scale,
                                          const std::string& upscaler, const std::string& second_upscaler) {
  std::vector<PngText> texts;
  for (const auto& text : source)
    if (text.keyword != "postprocessing" && text.keyword != "extras") texts.push_back(text);
  std::string info = "Postprocess upscale by: " + factor_text(scale) + ", Postprocess upscaler: " + quoted(upscaler);
  if (!second_upscaler.empty()) info += ", Postprocess upscaler 2: " + quoted(second_upscaler);
  texts.push_back({"postprocessing", info});
  texts.push_back({"extras", info});
  return texts;
}

}  // namespace atelier
