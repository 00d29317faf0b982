// A1111's inpainting modes: masked content, invert, "only masked" crop and paste-back,
// outpainting. Geometry against A1111's arithmetic worked by hand from modules/masking.py,
// Pillow's compositing against Pillow's own output, each mode's defining property on the
// tiny model.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/io/png.h"
#include "core/pipeline/inpaint_area.h"
#include "core/pipeline/inpaint_plan.h"
#include "core/pipeline/mask_ops.h"
#include "core/pipeline/masked_content.h"
#include "core/pipeline/outpaint.h"
#include "core/pipeline/pil_compositing.h"
#include "pipeline/tiny_pipeline.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"
#include "support/test_images.h"

using namespace atelier;
using namespace atelier::test;

namespace {

using MaskedContent = GenerationParams::MaskedContent;

Image8 solid(int width, int height, std::uint8_t value) {
  return {width, height, std::vector<std::uint8_t>(std::size_t(width) * height * 3, value)};
}

// A mask, black with a white rectangle [x1, x2) x [y1, y2).
Image8 rectangle_mask(int width, int height, CropBox box) {
  Image8 mask = solid(width, height, 0);
  for (int y = box.y1; y < box.y2; ++y)
    for (int x = box.x1; x < box.x2; ++x) std::fill_n(&mask.rgb[(std::size_t(y) * width + x) * 3], 3, 255);
  return mask;
}

const std::uint8_t* pixel(const Image8& image, int x, int y) { return &image.rgb[(std::size_t(y) * image.width + x) * 3]; }

bool same_pixel(const Image8& a, int ax, int ay, const Image8& b, int bx, int by) {
  return std::equal(pixel(a, ax, ay), pixel(a, ax, ay) + 3, pixel(b, bx, by));
}

GenerationParams inpaint_params(const TempDir& dir, const Image8& init, const Image8& mask) {
  write_png(dir / "init.png", init, {});
  write_png(dir / "mask.png", mask, {});
  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = "a red cube on a blue table";
  params.negative_prompt = "blurry";
  params.sampler = "Euler";
  params.steps = 3;
  params.seed = 77;
  params.width = params.height = 64;
  params.device = DeviceChoice::Cpu;
  params.init_image = dir / "init.png";
  params.mask = dir / "mask.png";
  params.denoising_strength = 0.9;
  return params;
}

Image8 generate_one(const GenerationParams& params) {
  auto results = tiny_pipeline().generate(params);
  REQUIRE(results.size() == 1);
  return std::move(results[0].image);
}

}  // namespace

TEST_CASE("the crop box: get_crop_region with padding, then expand_crop_region, as A1111 computes them",
          "[inpaint][area]") {
  struct Case {
    CropBox white;
    int padding, processing_width, processing_height, width, height;
    CropBox padded, expanded;
  };
  // Worked by hand from masking.py: ratio > target grows the height by int(w / ratio - h),
  // half (floor) above; shifted back inside, clamped.
  const std::vector<Case> cases{
      {{10, 30, 20, 34}, 4, 64, 64, 64, 64, {6, 26, 24, 38}, {6, 23, 24, 41}},     // 18x12 -> 18x18
      {{0, 56, 8, 64}, 8, 128, 64, 64, 64, {0, 48, 16, 64}, {0, 48, 32, 64}},      // widened, pushed off x < 0
      {{60, 0, 64, 64}, 0, 64, 64, 64, 64, {60, 0, 64, 64}, {0, 0, 64, 64}},       // pushed back from the right
      {{0, 0, 10, 7}, 0, 64, 64, 100, 100, {0, 0, 10, 7}, {0, 0, 10, 10}},         // odd growth, y1 -1 -> 0
      {{5, 5, 18, 10}, 0, 96, 64, 100, 100, {5, 5, 18, 10}, {5, 4, 18, 12}},       // int(13 / 1.5 - 5) = 3
      {{0, 30, 64, 34}, 0, 64, 64, 64, 64, {0, 30, 64, 34}, {0, 0, 64, 64}},       // the whole height
      {{40, 30, 56, 42}, 8, 64, 64, 96, 80, {32, 22, 64, 50}, {32, 20, 64, 52}},   // 96x80 image
      {{70, 10, 90, 20}, 0, 64, 96, 96, 80, {70, 10, 90, 20}, {70, 0, 90, 30}},    // 20 / (64 / 96) = 30.000000000000004
  };
  for (const auto& c : cases) {
    INFO("white " << c.white.x1 << "," << c.white.y1 << "," << c.white.x2 << "," << c.white.y2);
    const auto padded = mask_crop_box(rectangle_mask(c.width, c.height, c.white), c.padding);
    REQUIRE(padded);
    CHECK(*padded == c.padded);
    CHECK(expand_crop_box(*padded, c.processing_width, c.processing_height, c.width, c.height) == c.expanded);
  }
  CHECK_FALSE(mask_crop_box(solid(16, 16, 0), 32));
}

TEST_CASE("Pillow's compositing arithmetic, to the bit", "[inpaint][pil]") {
  // Worked by hand from Pillow's C: DIV255(200 * 155) = 122, 255 * 122 / 155 = 200 (truncated).
  const auto premultiplied = premultiplied_outside(Image8{1, 1, {200, 200, 200}}, Image8{1, 1, {100, 100, 100}});
  CHECK(premultiplied.rgba == std::vector<std::uint8_t>{122, 122, 122, 155});
  CHECK(unpremultiplied(premultiplied).rgba == std::vector<std::uint8_t>{200, 200, 200, 155});
  // alpha_composite of (200, 100, 50, 128) over opaque (10, 20, 30): coef1 = 16384, coef2 = 16256.
  RgbaImage destination{1, 1, {10, 20, 30, 255}};
  alpha_composite(destination, RgbaImage{1, 1, {200, 100, 50, 128}});
  CHECK(destination.rgba == std::vector<std::uint8_t>{105, 60, 40, 255});

  // A blur keeps a uniform image, whatever the radius; radius 0 changes nothing.
  const RgbaImage uniform{5, 3, std::vector<std::uint8_t>(60, 77)};
  for (const double radius : {0.0, 2.0, 16.0, 256.0}) CHECK(gaussian_blurred(uniform, radius).rgba == uniform.rgba);
  const RgbaImage varied = opaque(pattern(7, 5));
  CHECK(gaussian_blurred(varied, 0).rgba == varied.rgba);

  // Pillow 9.4's own results (tests/data/inpaint-pil/README.md): masking.fill and apply_overlay.
  const Image8 image = load_image(data_path("inpaint-pil/image.png"));
  const Image8 mask = load_image(data_path("inpaint-pil/mask.png"));
  CHECK(fill_masked_area(image, mask).rgb == load_image(data_path("inpaint-pil/fill.png")).rgb);
  Image8 doubled = mask;
  for (auto& value : doubled.rgb) value = static_cast<std::uint8_t>(std::min(2 * value, 255));
  const Image8 overlaid = composite_original(opaque(load_image(data_path("inpaint-pil/generated.png"))), image, doubled);
  CHECK(overlaid.rgb == load_image(data_path("inpaint-pil/overlay.png")).rgb);
}

TEST_CASE("masked content fill: the masked area takes the colours around it, the rest is unchanged",
          "[inpaint][fill]") {
  // A uniform image fills its hole with its own colour; outside the mask nothing moves.
  Image8 image = solid(32, 24, 0);
  for (std::size_t i = 0; i < image.rgb.size(); i += 3) image.rgb[i] = 200, image.rgb[i + 1] = 100, image.rgb[i + 2] = 50;
  const Image8 mask = rectangle_mask(32, 24, {8, 6, 20, 18});
  Image8 holed = image;
  for (std::size_t i = 0; i < holed.rgb.size(); ++i)
    if (mask.rgb[i]) holed.rgb[i] = 0;  // what was under the mask does not matter
  const Image8 filled = fill_masked_area(holed, mask);
  for (std::size_t i = 0; i < filled.rgb.size(); ++i) {
    if (!mask.rgb[i]) REQUIRE(filled.rgb[i] == holed.rgb[i]);
    else REQUIRE(std::abs(filled.rgb[i] - image.rgb[i]) <= 4);  // 8-bit unpremultiplying truncates
  }
  // All masked: nothing to take colours from, black (Image.new's transparent black, as RGB).
  CHECK(fill_masked_area(image, solid(32, 24, 255)).rgb == solid(32, 24, 0).rgb);
}

TEST_CASE("latent noise and latent nothing replace the init latent inside A1111's nmask", "[inpaint][latent]") {
  const auto init = at::full({1, 4, 2, 3}, 2.0);
  auto repaint = at::zeros({1, 1, 2, 3});
  repaint.index_put_({0, 0, 1}, 1.0);  // the second latent row repaints
  const auto noise = at::arange(24, at::kFloat).reshape({1, 4, 2, 3});
  const auto nothing = masked_init_latent(MaskedContent::LatentNothing, init, repaint, {});
  CHECK(at::equal(nothing.select(2, 0), init.select(2, 0)));
  CHECK(at::equal(nothing.select(2, 1), at::zeros({1, 4, 3})));
  const auto noised = masked_init_latent(MaskedContent::LatentNoise, init, repaint, noise);
  CHECK(at::equal(noised.select(2, 0), init.select(2, 0)));
  CHECK(at::equal(noised.select(2, 1), noise.select(2, 1)));
  for (const auto content : {MaskedContent::Fill, MaskedContent::Original})
    CHECK(at::equal(masked_init_latent(content, init, repaint, noise), init));
}

TEST_CASE("every masked content keeps the pixels outside the blurred mask and repaints inside", "[inpaint][pipeline]") {
  TempDir dir;
  const Image8 init = pattern(64, 64);
  auto params = inpaint_params(dir, init, rectangle_mask(64, 64, {24, 20, 48, 44}));
  params.mask_blur = 4;
  const Image8 blurred = blurred_mask(read_binary_mask(*params.mask), params.mask_blur);
  std::vector<std::vector<std::uint8_t>> results;
  for (const auto content : {MaskedContent::Fill, MaskedContent::Original, MaskedContent::LatentNoise,
                             MaskedContent::LatentNothing}) {
    params.masked_content = content;
    const Image8 out = generate_one(params);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        if (pixel(blurred, x, y)[0] == 0) REQUIRE(same_pixel(out, x, y, init, x, y));
    CHECK(!same_pixel(out, 36, 32, init, 36, 32));
    results.push_back(out.rgb);
  }
  for (std::size_t i = 1; i < results.size(); ++i) CHECK(results[i] != results[0]);  // each starts elsewhere
}

TEST_CASE("A1111's timestep samplers inpaint too: the pixels outside the blurred mask stay", "[inpaint][pipeline]") {
  TempDir dir;
  const Image8 init = pattern(64, 64);
  auto params = inpaint_params(dir, init, rectangle_mask(64, 64, {24, 20, 48, 44}));
  const Image8 blurred = blurred_mask(read_binary_mask(*params.mask), params.mask_blur);
  params.sampler = GENERATE("DDIM", "PLMS", "UniPC", "DDIM CFG++");
  INFO(params.sampler);
  params.steps = 4;
  const Image8 out = generate_one(params);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      if (pixel(blurred, x, y)[0] == 0) REQUIRE(same_pixel(out, x, y, init, x, y));
  CHECK(!same_pixel(out, 36, 32, init, 36, 32));
}

TEST_CASE("latent nothing over a fully white mask at strength 1 is txt2img of the seed", "[inpaint][pipeline][latent]") {
  // The init latent becomes 0, so the sampler starts from the seed's noise times sigma_max
  // over the full schedule, blended with nmask = 1 everywhere, overlaid with alpha 0.
  TempDir dir;
  auto params = inpaint_params(dir, pattern(64, 64), solid(64, 64, 255));
  params.masked_content = MaskedContent::LatentNothing;
  params.denoising_strength = 1.0;
  params.mask_blur = 0;
  const auto inpainted = tiny_pipeline().generate(params).at(0);
  params.init_image.reset();
  params.mask.reset();
  const auto txt2img = tiny_pipeline().generate(params).at(0);
  const double error = relative_error(inpainted.latent, txt2img.latent);
  INFO("latent relative error " << error);
  CHECK(error < 1e-5);  // float rounding only (measured 6e-6): the two paths order the products differently
  // Whereas masked content "original" starts from the init image's latent.
  params.init_image = dir / "init.png";
  params.mask = dir / "mask.png";
  params.masked_content = MaskedContent::Original;
  CHECK(relative_error(tiny_pipeline().generate(params).at(0).latent, txt2img.latent) > 1e-2);
}

TEST_CASE("masked content fill starts a fully masked image from black", "[inpaint][pipeline][fill]") {
  TempDir dir;
  auto params = inpaint_params(dir, pattern(64, 64), solid(64, 64, 255));
  params.mask_blur = 0;
  params.masked_content = MaskedContent::Fill;
  const Image8 filled = generate_one(params);
  write_png(dir / "black.png", solid(64, 64, 0), {});
  params.init_image = dir / "black.png";
  params.masked_content = MaskedContent::Original;
  CHECK(filled.rgb == generate_one(params).rgb);
}

TEST_CASE("invert mask repaints the black area and keeps the white one", "[inpaint][pipeline][invert]") {
  TempDir dir;
  const Image8 init = pattern(64, 64);
  auto params = inpaint_params(dir, init, rectangle_mask(64, 64, {32, 0, 64, 64}));
  params.mask_blur = 0;
  params.invert_mask = true;
  const Image8 inverted = generate_one(params);
  write_png(dir / "inverse.png", rectangle_mask(64, 64, {0, 0, 32, 64}), {});
  params.mask = dir / "inverse.png";
  params.invert_mask = false;
  CHECK(inverted.rgb == generate_one(params).rgb);  // the same as painting the other half
  for (int y = 0; y < 64; ++y)
    for (int x = 32; x < 64; ++x) REQUIRE(same_pixel(inverted, x, y, init, x, y));
}

TEST_CASE("only masked: generated at the requested size in the crop box, pasted back at the init image's size",
          "[inpaint][pipeline][area]") {
  TempDir dir;
  const Image8 init = pattern(96, 80);
  auto params = inpaint_params(dir, init, rectangle_mask(96, 80, {40, 30, 56, 42}));
  params.inpaint_area = GenerationParams::InpaintArea::OnlyMasked;
  params.masked_padding = 8;
  params.mask_blur = 0;
  const auto plan = plan_inpainting(params);
  REQUIRE(plan.paste_to);
  CHECK(*plan.paste_to == CropBox{32, 20, 64, 52});  // worked by hand in the crop box case above
  CHECK(plan.image.width == 64);
  CHECK(plan.image.height == 64);

  auto results = tiny_pipeline().generate(params);
  REQUIRE(results.size() == 1);
  const Image8& out = results[0].image;
  REQUIRE(out.width == 96);
  REQUIRE(out.height == 80);
  CHECK(results[0].params.width == 64);  // the generation size, as A1111 records it
  // The sample, decoded, resized to the 32x32 box: inside the white rectangle it is the
  // result; everywhere else the init image.
  at::InferenceMode inference;
  const Image8 sample = tensor_to_image(tiny_pipeline().decode(results[0].latent, GenerationParams::VaeTiling::Off));
  const Image8 in_box = resize_for_generation(sample, 32, 32, ResizeMode::CropAndResize);
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 96; ++x) {
      const bool white = x >= 40 && x < 56 && y >= 30 && y < 42;
      REQUIRE((white ? same_pixel(out, x, y, in_box, x - 32, y - 20) : same_pixel(out, x, y, init, x, y)));
    }
}

TEST_CASE("only masked pastes back through the blurred mask: unchanged where it is 0", "[inpaint][pipeline][area]") {
  TempDir dir;
  const Image8 init = pattern(80, 72);
  auto params = inpaint_params(dir, init, rectangle_mask(80, 72, {10, 12, 30, 40}));
  params.inpaint_area = GenerationParams::InpaintArea::OnlyMasked;
  params.masked_padding = 4;
  params.mask_blur = 3;
  params.masked_content = MaskedContent::Fill;
  const Image8 out = generate_one(params);
  const Image8 blurred = blurred_mask(read_binary_mask(*params.mask), params.mask_blur);
  int changed = 0;
  for (int y = 0; y < 72; ++y)
    for (int x = 0; x < 80; ++x) {
      if (pixel(blurred, x, y)[0] == 0) REQUIRE(same_pixel(out, x, y, init, x, y));
      else changed += !same_pixel(out, x, y, init, x, y);
    }
  CHECK(changed > 400);
  // An all-black mask has no box to crop.
  write_png(dir / "black.png", solid(80, 72, 0), {});
  params.mask = dir / "black.png";
  CHECK_THROWS_WITH(plan_inpainting(params), Catch::Contains("empty"));
}

TEST_CASE("outpainting: the canvas is the image plus the borders exactly; at blur 0 the image is kept pixel for pixel",
          "[inpaint][pipeline][outpaint]") {
  TempDir dir;
  const Image8 init = pattern(60, 60);
  auto params = inpaint_params(dir, init, solid(60, 60, 0));
  params.mask.reset();
  params.outpaint = {6, 10, 0, 4};
  params.mask_blur = 0;
  params.masked_content = MaskedContent::Fill;
  params.width = params.height = 512;  // ignored over the whole picture: the canvas is sampled

  const Canvas canvas = extend_canvas(init, solid(60, 60, 0), params.outpaint);
  CHECK(canvas.image.width == 76);
  CHECK(canvas.image.height == 64);
  CHECK(same_pixel(canvas.image, 0, 10, init, 0, 10));    // the left edge stretched
  CHECK(same_pixel(canvas.image, 75, 63, init, 59, 59));  // the bottom-right corner
  CHECK(pixel(canvas.mask, 5, 30)[0] == 255);
  CHECK(pixel(canvas.mask, 6, 30)[0] == 0);
  CHECK(pixel(canvas.mask, 40, 60)[0] == 255);

  const auto plan = plan_inpainting(params);
  CHECK(plan.width == 80);  // 76 rounded up to 8; the padding is cropped away afterwards
  CHECK(plan.height == 64);
  auto results = tiny_pipeline().generate(params);
  REQUIRE(results.size() == 1);
  const Image8& out = results[0].image;
  REQUIRE(out.width == 76);
  REQUIRE(out.height == 64);
  CHECK(results[0].params.width == 76);  // recorded as the output; a re-run derives 80 again
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 60; ++x) REQUIRE(same_pixel(out, x + 6, y, init, x, y));
  CHECK(!same_pixel(out, 2, 30, canvas.image, 2, 30));  // the new area is repainted

  // With a blur the seam blends into the image, but away from it the image stays.
  params.mask_blur = 4;
  const Image8 blended = generate_one(params);
  CHECK(!same_pixel(blended, 7, 30, init, 1, 30));
  CHECK(same_pixel(blended, 36, 30, init, 30, 30));
}

TEST_CASE("inpainting settings out of range are refused naming the flag", "[inpaint][validate]") {
  TempDir dir;
  auto params = inpaint_params(dir, pattern(64, 64), solid(64, 64, 0));
  params.masked_padding = -1;
  CHECK_THROWS_WITH(validate(params), Catch::Contains("masked padding"));
  params.masked_padding = 32;
  params.outpaint.left = -3;
  CHECK_THROWS_WITH(validate(params), Catch::Contains("outpaint"));
  params.outpaint.left = 8;
  params.init_image.reset();
  params.mask.reset();
  CHECK_THROWS_WITH(validate(params), Catch::Contains("--outpaint") && Catch::Contains("init image"));
  params.outpaint = {};
  params.invert_mask = true;
  CHECK_THROWS_WITH(validate(params), Catch::Contains("--invert-mask"));

  // "only masked" and outpainting need a mask of the init image's size.
  auto sized = inpaint_params(dir, pattern(64, 64), solid(48, 64, 255));
  sized.inpaint_area = GenerationParams::InpaintArea::OnlyMasked;
  CHECK_THROWS_WITH(plan_inpainting(sized), Catch::Contains("--mask") && Catch::Contains("48x64"));
  // A canvas below 64 pixels cannot be sampled whole.
  sized.mask.reset();
  sized.inpaint_area = GenerationParams::InpaintArea::WholePicture;
  write_png(dir / "small.png", pattern(40, 40), {});
  sized.init_image = dir / "small.png";
  sized.outpaint = {0, 8, 0, 0};
  CHECK_THROWS_WITH(plan_inpainting(sized), Catch::Contains("--outpaint") && Catch::Contains("48x40"));
}
