#include "core/pipeline/masked_content.h"

#include <array>
#include <utility>

#include "core/pipeline/pil_compositing.h"

namespace atelier {
namespace {

using MaskedContent = GenerationParams::MaskedContent;

// masking.fill's blur radii, each composited this many times.
constexpr std::array<std::pair<double, int>, 6> kFillPasses{{{256, 1}, {64, 1}, {16, 2}, {4, 4}, {2, 2}, {0, 1}}};

}  // namespace

Image8 fill_masked_area(const Image8& image, const Image8& mask) {
  const RgbaImage outside = premultiplied_outside(image, mask);
  RgbaImage filled{image.width, image.height, std::vector<std::uint8_t>(outside.rgba.size(), 0)};
  for (const auto& [radius, repeats] : kFillPasses) {
    const RgbaImage blurred = unpremultiplied(gaussian_blurred(outside, radius));
    for (int i = 0; i < repeats; ++i) alpha_composite(filled, blurred);
  }
  return without_alpha(filled);
}

at::Tensor masked_init_latent(MaskedContent content, const at::Tensor& init_latent, const at::Tensor& repaint,
                              const at::Tensor& noise) {
  switch (content) {
    case MaskedContent::LatentNoise: return init_latent * (1 - repaint) + noise * repaint;
    case MaskedContent::LatentNothing: return init_latent * (1 - repaint);
    case MaskedContent::Fill:
    case MaskedContent::Original: break;
  }
  return init_latent;
}

}  // namespace atelier
