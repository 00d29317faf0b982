// stable-diffusion.cpp's `parameters` (examples/cli/main.cpp, get_image_params): A1111's layout
// with its own names,
//   A sunflower field
//   Steps: 30, CFG scale: 5.000000, Guidance: 3.500000, Eta: 0.000000, Seed: 197583933,
//   Size: 512x512, Model: v1-5-pruned-emaonly.safetensors, RNG: cuda, Sampler: dpm++2mv2 karras,
//   Version: stable-diffusion.cpp
#include <algorithm>
#include <array>

#include "core/gallery/metadata_readers.h"

namespace atelier {
namespace {

// sample_method_str beside A1111's names; the schedule ("karras", "discrete", ...) follows a space.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kSdcppSamplers{{
    {"euler_a", "Euler a"},
    {"euler", "Euler"},
    {"heun", "Heun"},
    {"dpm2", "DPM2"},
    {"dpm++2s_a", "DPM++ 2S a"},
    {"dpm++2m", "DPM++ 2M"},
    {"ipndm", "iPNDM"},
    {"lcm", "LCM"},
    {"ddim_trailing", "DDIM"},
}};

// "dpm++2m karras" -> "DPM++ 2M Karras"; names without an A1111 counterpart stay as written.
std::string a1111_sampler(std::string_view value) {
  const auto space = value.find(' ');
  const std::string_view method = value.substr(0, space);
  const std::string_view schedule = space == std::string_view::npos ? "" : value.substr(space + 1);
  for (const auto& [sdcpp, a1111] : kSdcppSamplers) {
    if (sdcpp != method) continue;
    if (schedule == "karras") return std::string(a1111) + " Karras";
    if (schedule == "exponential") return std::string(a1111) + " Exponential";
    return std::string(a1111);
  }
  return std::string(value);
}

}  // namespace

std::optional<ImageMetadata> read_sdcpp_metadata(const std::vector<PngText>& texts) {
  const std::string* text = find_text(texts, "parameters");
  if (!text) return std::nullopt;
  A1111Parameters parameters = parse_a1111_parameters(*text);
  const bool is_sdcpp = std::any_of(parameters.fields.begin(), parameters.fields.end(), [](const auto& field) {
    return field.first == "Version" && field.second == "stable-diffusion.cpp";
  });
  if (!is_sdcpp) return std::nullopt;
  for (auto& [key, value] : parameters.fields) {
    if (key == "Sampler") value = a1111_sampler(value);
    // "std_default" is C++'s std::mt19937 draw, which is not PyTorch's: only "cuda" maps.
    if (key == "RNG" && value == "cuda") value = "NV";
  }
  ImageMetadata metadata = metadata_from_a1111(parameters, "sdcpp");
  const bool std_rng = std::any_of(parameters.fields.begin(), parameters.fields.end(),
                                   [](const auto& field) { return field.first == "RNG" && field.second != "NV"; });
  if (std_rng) metadata.unmapped.emplace_back("RNG std_default (its noise is not PyTorch's CPU noise)");
  return metadata;
}

}  // namespace atelier
