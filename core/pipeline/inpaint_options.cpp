#include "core/pipeline/inpaint_options.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "core/error.h"

namespace atelier {
namespace {

using InpaintArea = GenerationParams::InpaintArea;
using MaskedContent = GenerationParams::MaskedContent;

constexpr std::array<std::pair<InpaintArea, std::string_view>, 2> kAreaLabels{{
    {InpaintArea::WholePicture, "Whole picture"},
    {InpaintArea::OnlyMasked, "Only masked"},
}};

constexpr std::array<std::pair<MaskedContent, std::string_view>, 4> kContentLabels{{
    {MaskedContent::Fill, "fill"},
    {MaskedContent::Original, "original"},
    {MaskedContent::LatentNoise, "latent noise"},
    {MaskedContent::LatentNothing, "latent nothing"},
}};

// "Latent-Noise" -> "latent noise".
std::string normalized(std::string_view name) {
  std::string out(name);
  for (auto& c : out) c = c == '-' || c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view a1111_label(InpaintArea area) { return kAreaLabels[static_cast<std::size_t>(area)].second; }

std::string_view to_string(InpaintArea area) { return area == InpaintArea::OnlyMasked ? "only masked" : "whole picture"; }

InpaintArea parse_inpaint_area(std::string_view name) {
  const std::string wanted = normalized(name);
  if (wanted == "whole" || wanted == "whole picture" || wanted == "0") return InpaintArea::WholePicture;
  if (wanted == "masked" || wanted == "only masked" || wanted == "1") return InpaintArea::OnlyMasked;
  throw InvalidArgument("unknown inpaint area '" + std::string(name) + "': choose whole (whole picture) or masked (only masked)");
}

std::string_view to_string(MaskedContent content) { return kContentLabels[static_cast<std::size_t>(content)].second; }

MaskedContent parse_masked_content(std::string_view name) {
  const std::string wanted = normalized(name);
  for (std::size_t index = 0; index < kContentLabels.size(); ++index)
    if (wanted == kContentLabels[index].second || wanted == std::to_string(index)) return kContentLabels[index].first;
  throw InvalidArgument("unknown masked content '" + std::string(name) +
                        "': choose fill, original, latent-noise or latent-nothing");
}

GenerationParams::Borders parse_borders(std::string_view text) {
  std::array<int, 4> sides{};
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (std::size_t i = 0; i < sides.size(); ++i) {
    const auto [next, error] = std::from_chars(at, end, sides[i]);
    const bool separated = i + 1 < sides.size() ? next < end && *next == ',' : next == end;
    if (error != std::errc() || !separated || sides[i] < 0)
      throw InvalidArgument("--outpaint '" + std::string(text) +
                            "': expected left,right,top,bottom in pixels (0 or more each), e.g. 0,64,0,0");
    at = next + 1;
  }
  return {sides[0], sides[1], sides[2], sides[3]};
}

std::string to_string(GenerationParams::Borders b) {
  return std::to_string(b.left) + "," + std::to_string(b.right) + "," + std::to_string(b.top) + "," +
         std::to_string(b.bottom);
}

}  // namespace atelier
