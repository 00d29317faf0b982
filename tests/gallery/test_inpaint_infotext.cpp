// The inpainting settings in the infotext as A1111 writes and reads them (its
// StableDiffusionProcessingImg2Img.init adds them to extra_generation_params), and in our JSON.
#include <catch2/catch.hpp>

#include "core/gallery/a1111_parameters.h"
#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "core/gallery/params_json.h"

using namespace atelier;

namespace {

std::string settings_line(const GenerationParams& p) {
  std::string text;
  for (const auto& [key, value] : a1111_parameters(p).fields) text += key + ": " + value + ", ";
  return text;
}

GenerationParams inpainting() {
  GenerationParams p;
  p.model = "/models/v1-5-pruned-emaonly.safetensors";
  p.init_image = "/images/init.png";
  p.mask = "/images/mask.png";
  return p;
}

}  // namespace

TEST_CASE("A1111's inpainting keys are written only when they differ from its defaults", "[params_json][inpaint]") {
  GenerationParams p = inpainting();
  const auto plain = settings_line(p);
  CHECK_THAT(plain, Catch::Contains("Mask blur: 4, "));
  for (const char* key : {"Mask mode", "Inpaint area", "Masked area padding", "Masked content"})
    CHECK_THAT(plain, !Catch::Contains(key));

  p.invert_mask = true;
  p.inpaint_area = GenerationParams::InpaintArea::OnlyMasked;
  p.masked_padding = 16;
  p.masked_content = GenerationParams::MaskedContent::LatentNoise;
  CHECK_THAT(settings_line(p), Catch::Contains("Mask mode: Inpaint not masked, Mask blur: 4, Inpaint area: Only masked, "
                                               "Masked area padding: 16, Masked content: latent noise, "));
  p.masked_content = GenerationParams::MaskedContent::Fill;
  CHECK_THAT(settings_line(p), Catch::Contains("Masked content: fill, "));
}

TEST_CASE("A1111's inpainting keys read back", "[metadata][a1111][inpaint]") {
  const auto metadata = parse_image_metadata(
      {{"parameters", "a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 512x512, Denoising strength: 0.75, "
                      "Mask mode: Inpaint not masked, Mask blur: 6, Inpaint area: Only masked, "
                      "Masked area padding: 48, Masked content: latent nothing"}});
  const GenerationParams& p = metadata.params;
  CHECK(p.invert_mask);
  CHECK(p.mask_blur == 6);
  CHECK(p.inpaint_area == GenerationParams::InpaintArea::OnlyMasked);
  CHECK(p.masked_padding == 48);
  CHECK(p.masked_content == GenerationParams::MaskedContent::LatentNothing);
  CHECK(metadata.extra.empty());
  const auto json = to_json(metadata);
  CHECK(json["inpaint_area"] == "only masked");
  CHECK(json["masked_content"] == "latent nothing");
  CHECK(json["masked_padding"] == 48);
  CHECK(json["invert_mask"] == true);

  const auto odd = parse_image_metadata({{"parameters", "a cat\nSteps: 20, Seed: 1, Masked content: glitter"}});
  CHECK(odd.params.masked_content == GenerationParams::MaskedContent::Original);
  CHECK(odd.extra.size() == 1);  // kept as written, not mapped
}

TEST_CASE("the inpainting settings and outpainting borders round-trip through our JSON", "[params_json][inpaint]") {
  GenerationParams p = inpainting();
  p.invert_mask = true;
  p.inpaint_area = GenerationParams::InpaintArea::OnlyMasked;
  p.masked_padding = 12;
  p.masked_content = GenerationParams::MaskedContent::Fill;
  p.outpaint = {1, 2, 3, 4};
  const GenerationParams back = parse_params_json(format_params_json(p, std::nullopt)).params;
  CHECK(back.invert_mask);
  CHECK(back.inpaint_area == p.inpaint_area);
  CHECK(back.masked_padding == 12);
  CHECK(back.masked_content == p.masked_content);
  CHECK(back.outpaint.left == 1);
  CHECK(back.outpaint.right == 2);
  CHECK(back.outpaint.top == 3);
  CHECK(back.outpaint.bottom == 4);
}
