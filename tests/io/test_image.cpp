#include "core/io/image.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/png.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

using namespace atelier;
using test::Bytes;
using test::read_bytes;
using test::write_bytes;
using Catch::Matchers::Contains;

namespace {

using Rgb = std::array<std::uint8_t, 3>;

constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kGreen{0, 255, 0};
constexpr Rgb kBlue{0, 0, 255};


Rgb pixel(const Image8& image, int x, int y) {
  const std::uint8_t* p = &image.rgb[(static_cast<std::size_t>(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

// An image whose pixel (x, y) is colour(x, y).
template <typename Colour>
Image8 painted(int width, int height, Colour colour) {
  Image8 image{width, height, Bytes(static_cast<std::size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Rgb rgb = colour(x, y);
      std::copy(rgb.begin(), rgb.end(), &image.rgb[(static_cast<std::size_t>(y) * width + x) * 3]);
    }
  }
  return image;
}

Image8 gradient(int width, int height) {
  return painted(width, height, [](int x, int y) {
    return Rgb{static_cast<std::uint8_t>(x * 7), static_cast<std::uint8_t>(y * 11), static_cast<std::uint8_t>(x ^ y)};
  });
}

bool all_pixels_are(const Image8& image, int top, int bottom, Rgb colour) {
  for (int y = top; y < bottom; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (pixel(image, x, y) != colour) return false;
    }
  }
  return true;
}

void require_format_error(const std::filesystem::path& path) {
  try {
    load_image(path);
    FAIL("no FormatError for " << path);
  } catch (const FormatError& e) {
    CHECK_THAT(e.what(), Contains(path.string()));
  }
}

}  // namespace

TEST_CASE("load_image decodes PNG, JPEG and BMP to RGB", "[image]") {
  test::TempDir dir;
  const Image8 image = gradient(33, 17);

  write_png(dir / "a.png", image, {});
  const Image8 png = load_image(dir / "a.png");
  CHECK(png.width == 33);
  CHECK(png.height == 17);
  CHECK(png.rgb == image.rgb);

  REQUIRE(stbi_write_bmp((dir / "a.bmp").c_str(), image.width, image.height, 3, image.rgb.data()));
  CHECK(load_image(dir / "a.bmp").rgb == image.rgb);

  // Grey with alpha comes out as RGB.
  const Bytes grey_alpha{10, 255, 20, 128, 30, 0, 40, 255};
  REQUIRE(stbi_write_png((dir / "ga.png").c_str(), 2, 2, 2, grey_alpha.data(), 4));
  CHECK(load_image(dir / "ga.png").rgb == Bytes{10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40});

  const Image8 flat = painted(64, 48, [](int, int) { return Rgb{200, 100, 50}; });
  REQUIRE(stbi_write_jpg((dir / "a.jpg").c_str(), flat.width, flat.height, 3, flat.rgb.data(), 95));
  const Image8 jpeg = load_image(dir / "a.jpg");
  CHECK(jpeg.width == 64);
  CHECK(jpeg.height == 48);
  const Rgb centre = pixel(jpeg, 32, 24);
  CHECK(std::abs(centre[0] - 200) <= 3);
  CHECK(std::abs(centre[1] - 100) <= 3);
  CHECK(std::abs(centre[2] - 50) <= 3);
}

TEST_CASE("load_image refuses what is not a whole image with FormatError naming the file", "[image]") {
  test::TempDir dir;
  const Image8 image = gradient(64, 64);

  SECTION("truncated PNG") {
    const Bytes png = encode_png(image, {});
    write_bytes(dir / "cut.png", Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)));
    require_format_error(dir / "cut.png");
  }
  SECTION("truncated JPEG") {
    REQUIRE(stbi_write_jpg((dir / "a.jpg").c_str(), image.width, image.height, 3, image.rgb.data(), 90));
    const Bytes jpeg = read_bytes(dir / "a.jpg");
    for (std::size_t size : {jpeg.size() * 9 / 10, jpeg.size() / 2, std::size_t{200}, std::size_t{3}}) {
      write_bytes(dir / "cut.jpg", Bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(size)));
      require_format_error(dir / "cut.jpg");
    }
  }
  SECTION("text named like an image") {
    std::ofstream(dir / "notes.png") << "a cat, masterpiece\nSteps: 20\n";
    require_format_error(dir / "notes.png");
  }
  SECTION("empty, missing, or a directory") {
    write_bytes(dir / "empty.png", {});
    require_format_error(dir / "empty.png");
    require_format_error(dir / "missing.png");
    require_format_error(dir.path());
  }
  SECTION("a side longer than 16384 pixels") {
    write_png(dir / "wide.png", painted(16385, 1, [](int, int) { return kRed; }), {});
    require_format_error(dir / "wide.png");
  }
}

TEST_CASE("resize modes parse from A1111's names and indices", "[image]") {
  CHECK(parse_resize_mode("Just resize") == ResizeMode::JustResize);
  CHECK(parse_resize_mode("CROP AND RESIZE") == ResizeMode::CropAndResize);
  CHECK(parse_resize_mode("resize-and-fill") == ResizeMode::ResizeAndFill);
  CHECK(parse_resize_mode("crop_and_resize") == ResizeMode::CropAndResize);
  CHECK(parse_resize_mode("0") == ResizeMode::JustResize);
  CHECK(parse_resize_mode("1") == ResizeMode::CropAndResize);
  CHECK(parse_resize_mode("2") == ResizeMode::ResizeAndFill);
  for (ResizeMode mode : {ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill}) {
    CHECK(parse_resize_mode(to_string(mode)) == mode);
  }
  CHECK(to_string(ResizeMode::ResizeAndFill) == "Resize and fill");
  for (const char* unknown : {"3", "stretch", "", "just  resize"}) {
    CHECK_THROWS_WITH(parse_resize_mode(unknown), Contains("crop and resize"));
    CHECK_THROWS_AS(parse_resize_mode(unknown), InvalidArgument);
  }
}

TEST_CASE("every resize mode gives the requested size", "[image]") {
  const Image8 source = gradient(300, 200);
  for (ResizeMode mode : {ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill}) {
    for (auto [width, height] : {std::pair{64, 96}, std::pair{512, 512}, std::pair{65, 33}, std::pair{300, 200},
                                 std::pair{1, 1}}) {
      const Image8 resized = resize_for_generation(source, width, height, mode);
      CHECK(resized.width == width);
      CHECK(resized.height == height);
      CHECK(resized.rgb.size() == static_cast<std::size_t>(width) * height * 3);
    }
  }
  CHECK(resize_for_generation(source, 300, 200, ResizeMode::CropAndResize).rgb == source.rgb);
  CHECK_THROWS_AS(resize_for_generation(source, 0, 64, ResizeMode::JustResize), InvalidArgument);
  CHECK_THROWS_AS(resize_for_generation(Image8{}, 64, 64, ResizeMode::JustResize), InvalidArgument);
}

TEST_CASE("just resize stretches the whole picture", "[image]") {
  // Left half red, right half blue, enlarged (Lanczos) and shrunk (area) to another aspect.
  const Image8 source = painted(20, 10, [](int x, int) { return x < 10 ? kRed : kBlue; });
  for (auto [width, height] : {std::pair{80, 80}, std::pair{8, 6}}) {
    const Image8 resized = resize_for_generation(source, width, height, ResizeMode::JustResize);
    CHECK(pixel(resized, 0, 0) == kRed);
    CHECK(pixel(resized, width - 1, height - 1) == kBlue);
  }
}

TEST_CASE("crop and resize keeps the centre of a wider image", "[image]") {
  // 2:1: red and blue quarters at the sides, green in the middle half.
  const Image8 source = painted(200, 100, [](int x, int) { return x < 50 ? kRed : x < 150 ? kGreen : kBlue; });
  const Image8 square = resize_for_generation(source, 64, 64, ResizeMode::CropAndResize);
  CHECK(all_pixels_are(square, 0, 64, kGreen));

  // 1:2 into 2:1, enlarged: rows 75 to 124 of the picture remain (with a margin for Lanczos' reach).
  const Image8 tall = painted(100, 200, [](int, int y) { return y < 60 ? kRed : y < 140 ? kGreen : kBlue; });
  const Image8 wide = resize_for_generation(tall, 200, 100, ResizeMode::CropAndResize);
  CHECK(all_pixels_are(wide, 0, 100, kGreen));
}

TEST_CASE("resize and fill stretches the edges across the borders", "[image]") {
  // 2:1 into a square: the picture fills rows 16 to 47; above, its top row; below, its bottom row.
  const Image8 source = painted(200, 100, [](int, int y) { return y < 50 ? kRed : kBlue; });
  const Image8 square = resize_for_generation(source, 64, 64, ResizeMode::ResizeAndFill);
  CHECK(all_pixels_are(square, 0, 32, kRed));
  CHECK(all_pixels_are(square, 32, 64, kBlue));

  // The same for a tall image, with a distinct edge column on each side.
  const Image8 tall = painted(50, 100, [](int x, int) { return x == 0 ? kRed : x == 49 ? kBlue : kGreen; });
  const Image8 filled = resize_for_generation(tall, 100, 100, ResizeMode::ResizeAndFill);
  for (int y : {0, 50, 99}) {
    CHECK(pixel(filled, 0, y) == kRed);
    CHECK(pixel(filled, 24, y) == kRed);
    CHECK(pixel(filled, 50, y) == kGreen);
    CHECK(pixel(filled, 75, y) == kBlue);
    CHECK(pixel(filled, 99, y) == kBlue);
  }
}

TEST_CASE("image_to_tensor maps bytes to [-1, 1] in [1, 3, H, W]", "[image]") {
  const Image8 image{2, 1, {0, 51, 255, 255, 128, 0}};
  const at::Tensor tensor = image_to_tensor(image);
  CHECK(tensor.sizes() == at::IntArrayRef{1, 3, 1, 2});
  CHECK(tensor.scalar_type() == at::kFloat);
  CHECK(tensor.is_contiguous());
  const auto value = [&](int c, int x) { return tensor[0][c][0][x].item<float>(); };
  CHECK(value(0, 0) == -1.0f);
  CHECK(value(1, 0) == Approx(-0.6f));
  CHECK(value(2, 0) == 1.0f);
  CHECK(value(0, 1) == 1.0f);
  CHECK(value(1, 1) == Approx(2.0f * 128 / 255 - 1));
  CHECK(value(2, 1) == -1.0f);
}

TEST_CASE("tensor_to_image truncates as A1111 does", "[image]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // x -> u8: the ends, the middle, values just under a step (which rounding would lift), out of range.
  const std::vector<std::pair<float, std::uint8_t>> cases{
      {-1.0f, 0},
      {1.0f, 255},
      {0.0f, 127},  // 127.5
      {0.999f, 254},
      {-0.999f, 0},
      {2.0f * 254.6f / 255 - 1, 254},
      {2.0f * 100.5f / 255 - 1, 100},
      {2.0f * 0.9f / 255 - 1, 0},
      {1.5f, 255},
      {-3.0f, 0},
      {nan, 0},
  };
  at::Tensor tensor = at::empty({1, 3, 1, static_cast<std::int64_t>(cases.size())});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (int c = 0; c < 3; ++c) tensor[0][c][0][static_cast<std::int64_t>(i)] = cases[i].first;
  }
  const Image8 image = tensor_to_image(tensor);
  REQUIRE(image.width == static_cast<int>(cases.size()));
  REQUIRE(image.height == 1);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("x = " << cases[i].first);
    CHECK(int(pixel(image, static_cast<int>(i), 0)[0]) == int(cases[i].second));
  }
}

TEST_CASE("tensor_to_image lays channels out as HWC", "[image]") {
  // Channel c of pixel (x, y) holds the byte 10 * c + 3 * y + x.
  const at::Tensor bytes = at::arange(3).view({3, 1, 1}) * 10 + at::arange(2).view({1, 2, 1}) * 3 +
                           at::arange(3).view({1, 1, 3});
  const at::Tensor tensor = bytes.to(at::kFloat).add(0.5).div(255).mul(2).sub(1).unsqueeze(0);
  const Image8 image = tensor_to_image(tensor);
  CHECK(image.width == 3);
  CHECK(image.height == 2);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) {
      const auto byte = static_cast<std::uint8_t>(3 * y + x);
      CHECK(pixel(image, x, y) ==
            Rgb{byte, static_cast<std::uint8_t>(10 + byte), static_cast<std::uint8_t>(20 + byte)});
    }
  }
  // Other floating types, such as the VAE's half-precision output, work as they are.
  CHECK(tensor_to_image(tensor.to(at::kDouble)).rgb == image.rgb);
  CHECK(tensor_to_image(tensor.to(at::kHalf)).rgb == image.rgb);
}

TEST_CASE("a byte survives the round trip through a tensor, or loses one to truncation", "[image]") {
  Image8 image{256, 1, Bytes(256 * 3)};
  for (std::size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = static_cast<std::uint8_t>(i / 3);
  const Image8 back = tensor_to_image(image_to_tensor(image));
  int worst_loss = 0;
  int gains = 0;
  for (std::size_t i = 0; i < image.rgb.size(); ++i) {
    worst_loss = std::max(worst_loss, image.rgb[i] - back.rgb[i]);
    gains += back.rgb[i] > image.rgb[i];
  }
  CHECK(worst_loss <= 1);
  CHECK(gains == 0);
}

TEST_CASE("tensor_to_image refuses other shapes and types", "[image]") {
  CHECK_THROWS_AS(tensor_to_image(at::zeros({3, 4, 4})), InvalidArgument);
  CHECK_THROWS_AS(tensor_to_image(at::zeros({2, 3, 4, 4})), InvalidArgument);
  CHECK_THROWS_AS(tensor_to_image(at::zeros({1, 4, 4, 4})), InvalidArgument);
  CHECK_THROWS_AS(tensor_to_image(at::zeros({1, 3, 0, 4})), InvalidArgument);
  CHECK_THROWS_WITH(tensor_to_image(at::zeros({1, 3, 4, 4}, at::kByte)), Contains("[1, 3, H, W]"));
}
