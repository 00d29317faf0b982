// The ESRGAN family against the reference code's numbers (tests/data/upscalers, made by
// make_reference.py with BasicSR's RRDBNet and Real-ESRGAN's SRVGGNetCompact), tiling, the
// loader's refusals, and A1111's resizing arithmetic.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>
#include <map>

#include "core/error.h"
#include "core/io/image_scaling.h"
#include "core/io/safetensors.h"
#include "core/io/torch_checkpoint.h"
#include "core/upscale/upscale_model.h"
#include "core/upscale/upscaler.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path data(const std::string& name) { return fs::path(ATELIER_TEST_DATA_DIR) / "upscalers" / name; }

const std::map<std::string, at::Tensor>& reference() {
  static const auto tensors = [] {
    const auto list = read_torch_state_dict(data("reference.pth"));
    return std::map<std::string, at::Tensor>(list.begin(), list.end());
  }();
  return tensors;
}

at::Tensor run(const LoadedUpscaler& upscaler, const at::Tensor& input) {
  at::NoGradGuard no_grad;
  return upscaler.network->forward(input);
}

double max_difference(const at::Tensor& a, const at::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

// The parity bound, for float32 convolutions summed in another order (measured here: 0, the same
// LibTorch 1.13 kernels as the reference's torch 1.13).
constexpr double kParity = 1e-5;

void write_renamed(const fs::path& from, const fs::path& to, const std::function<std::string(std::string)>& rename) {
  std::vector<std::pair<std::string, at::Tensor>> renamed;
  for (auto& [name, tensor] : read_torch_state_dict(from)) renamed.emplace_back(rename(name), tensor);
  write_safetensors(to, renamed);
}

std::string replaced(std::string name, const std::string& from, const std::string& to) {
  for (auto at = name.find(from); at != std::string::npos; at = name.find(from, at + to.size()))
    name.replace(at, from.size(), to);
  return name;
}

}  // namespace

TEST_CASE("RRDBNet x4, x2 and SRVGGNetCompact give the reference code's outputs") {
  const at::Tensor input = reference().at("input");
  for (const std::string name : {"rrdb_x4", "rrdb_x2", "srvgg_x4"}) {
    INFO(name);
    const auto upscaler = load_upscaler(data(name + ".pth"));
    const at::Tensor out = run(upscaler, input);
    const double difference = max_difference(out, reference().at(name));
    INFO("max |ours - reference| = " << difference);
    CHECK(difference < kParity);
    CHECK(upscaler.network->scale() == (name == "rrdb_x2" ? 2 : 4));
  }
  CHECK(load_upscaler(data("rrdb_x4.pth")).description == "RRDBNet x4 (8 features, 2 blocks), BasicSR names");
  CHECK(load_upscaler(data("srvgg_x4.pth")).description == "SRVGGNetCompact x4 (8 features, 2 convolutions)");
}

TEST_CASE("the old ESRGAN naming (model.N), the 2019 naming and a module. prefix give the same output") {
  const at::Tensor input = reference().at("input");
  const auto old = load_upscaler(data("rrdb_x4_old.pth"));
  CHECK(old.description == "RRDBNet x4 (8 features, 2 blocks), old ESRGAN names");
  CHECK(max_difference(run(old, input), reference().at("rrdb_x4")) < kParity);

  // xinntao/ESRGAN's 2019 names (RRDB_trunk, trunk_conv, upconv1, HRconv), saved from DataParallel.
  TempDir dir;
  const auto esrgan = dir / "esrgan-2019.safetensors";
  write_renamed(data("rrdb_x4.pth"), esrgan, [](std::string name) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"conv_body", "trunk_conv"}, {".rdb", ".RDB"}, {"conv_up", "upconv"}, {"conv_hr", "HRconv"}})
      name = replaced(name, from, to);
    return "module." + (name.starts_with("body.") ? "RRDB_trunk." + name.substr(5) : name);
  });
  const auto renamed = load_upscaler(esrgan);
  CHECK(renamed.description == "RRDBNet x4 (8 features, 2 blocks), ESRGAN names");
  CHECK(max_difference(run(renamed, input), reference().at("rrdb_x4")) < kParity);
}

TEST_CASE("tiles are placed as A1111's split_grid places them") {
  // Python: cols = ceil((w - overlap) / (tile - overlap)); x = int(col * (w - tile) / (cols - 1)).
  CHECK(tile_starts(1000, 192, 8) == std::vector<int>{0, 161, 323, 484, 646, 808});
  CHECK(tile_starts(512, 192, 8) == std::vector<int>{0, 160, 320});
  CHECK(tile_starts(192, 192, 8) == std::vector<int>{0});
  CHECK(tile_starts(100, 192, 8) == std::vector<int>{0});
  CHECK(tile_starts(200, 192, 8) == std::vector<int>{0, 8});
}

TEST_CASE("tiling covers every pixel: a network that only repeats pixels gives the untiled image exactly") {
  const at::Tensor image = at::rand({1, 3, 37, 53});
  const auto repeat = [](const at::Tensor& x) { return at::upsample_nearest2d(x, {x.size(2) * 3, x.size(3) * 3}); };
  const at::Tensor whole = repeat(image);
  for (const TileOptions options : {TileOptions{16, 4}, TileOptions{10, 8}, TileOptions{192, 8}, TileOptions{20, 0}}) {
    INFO("tile " << options.tile << " overlap " << options.overlap);
    CHECK(at::equal(upscale_tiled(repeat, 3, image, options), whole));
  }
  CHECK_THROWS_AS(upscale_tiled(repeat, 3, image, {8, 8}), InvalidArgument);
  CHECK_THROWS_AS(upscale_tiled(repeat, 2, image, {16, 4}), InvalidArgument);  // not 2x
}

TEST_CASE("tiled and untiled RRDBNet and compact outputs agree within the measured seam tolerance") {
  // A smooth picture, as upscalers see them; tiles of 16 overlapping by 4 on a 32x24 image (far
  // smaller than the receptive field, the worst case). Measured, in [0, 1] units: max 0.012 /
  // 0.017 / 0.014 (about 3-4 levels of 255), mean 0.0004 / 0.0009 / 0.0007 (RRDB x4, x2, compact).
  const at::Tensor image = image_to_unit_tensor(load_image(data("picture.png")));
  for (const std::string name : {"rrdb_x4", "rrdb_x2", "srvgg_x4"}) {
    INFO(name);
    const auto upscaler = load_upscaler(data(name + ".pth"));
    const auto network = [&](const at::Tensor& x) { return run(upscaler, x); };
    const at::Tensor whole = upscale_tiled(network, upscaler.network->scale(), image, {0, 0});
    const at::Tensor tiled = upscale_tiled(network, upscaler.network->scale(), image, {16, 4});
    const double worst = max_difference(tiled, whole);
    const double mean = (tiled - whole).abs().mean().item<double>();
    INFO("max " << worst << ", mean " << mean);
    CHECK(worst < 0.02);
    CHECK(mean < 0.0015);
    CHECK(worst > 0);  // the tiles really were run apart
  }
}

TEST_CASE("A1111's Upscaler.upscale arithmetic: a multiple of 8, the model then Lanczos") {
  const Image8 picture = load_image(data("picture.png"));  // 32x24
  const auto size = [](const Image8& image) { return std::pair(image.width, image.height); };
  CHECK(size(Upscaler::lanczos().upscale(picture, 3)) == std::pair(96, 72));
  CHECK(size(Upscaler::nearest().upscale(picture, 2.5)) == std::pair(80, 56));  // 60 // 8 * 8
  const Upscaler model = Upscaler::model(data("srvgg_x4.pth"));
  CHECK(model.name() == "srvgg_x4");
  CHECK(size(model.upscale(picture, 4)) == std::pair(128, 96));
  CHECK(size(model.upscale(picture, 2)) == std::pair(64, 48));
  // x2 model asked for x4: it runs twice.
  const Upscaler twice = Upscaler::model(data("rrdb_x2.pth"));
  const Image8 x4 = twice.upscale(picture, 4);
  CHECK(size(x4) == std::pair(128, 96));
  CHECK(x4.rgb == twice.run_model(twice.run_model(picture)).rgb);
  CHECK_THROWS_AS(model.upscale(picture, 0), InvalidArgument);
  CHECK_THROWS_AS(model.upscale(picture, 0.1), InvalidArgument);
}

TEST_CASE("an odd-sized image through the pixel-unshuffled x2 model keeps its exact double size") {
  Image8 odd{7, 5, std::vector<std::uint8_t>(7 * 5 * 3, 128)};
  const Image8 out = Upscaler::model(data("rrdb_x2.pth"), {0, 0}).run_model(odd);
  CHECK(out.width == 14);
  CHECK(out.height == 10);
}

TEST_CASE("Lanczos and Nearest against Pillow's, as A1111 resizes") {
  const Image8 picture = load_image(data("picture.png"));
  const auto differences = [](const Image8& ours, const Image8& pil) {
    REQUIRE(ours.width == pil.width);
    REQUIRE(ours.height == pil.height);
    int worst = 0;
    double total = 0;
    for (std::size_t i = 0; i < ours.rgb.size(); ++i) {
      const int d = std::abs(int(ours.rgb[i]) - int(pil.rgb[i]));
      worst = std::max(worst, d);
      total += d;
    }
    return std::pair(worst, total / static_cast<double>(ours.rgb.size()));
  };
  CHECK(resize_nearest(picture, 96, 72).rgb == load_image(data("picture_nearest_x3.png")).rgb);
  const auto [up_worst, up_mean] = differences(resize_lanczos(picture, 96, 72), load_image(data("picture_lanczos_x3.png")));
  INFO("Lanczos x3: max " << up_worst << " levels, mean " << up_mean);
  // Measured: max 2 levels, mean 0.24 enlarging; max 2, mean 0.43 shrinking (INTER_AREA).
  CHECK(up_worst <= 3);
  CHECK(up_mean < 0.4);
  const auto [down_worst, down_mean] =
      differences(resize_lanczos(picture, 16, 12), load_image(data("picture_lanczos_half.png")));
  INFO("Lanczos /2: max " << down_worst << " levels, mean " << down_mean);
  CHECK(down_worst <= 3);
  CHECK(down_mean < 0.6);
}

TEST_CASE("bad upscaler files are refused with the file and the tensor named") {
  TempDir dir;
  SECTION("truncated") {
    auto bytes = test::read_bytes(data("rrdb_x4.pth"));
    bytes.resize(bytes.size() / 2);
    const auto file = dir / "truncated.pth";
    test::write_bytes(file, bytes);
    CHECK_THROWS_WITH(load_upscaler(file), Catch::Contains("truncated.pth"));
    CHECK_THROWS_AS(load_upscaler(file), FormatError);
  }
  SECTION("a tensor missing") {
    const auto file = dir / "missing.safetensors";
    write_renamed(data("rrdb_x4.pth"), file, [](std::string name) {
      return name == "body.1.rdb3.conv5.bias" ? "unrelated" : name;
    });
    CHECK_THROWS_WITH(load_upscaler(file), Catch::Contains("missing.safetensors: tensor body.1.rdb3.conv5.bias is missing"));
  }
  SECTION("a tensor of the wrong shape") {
    const auto file = dir / "shape.safetensors";
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto& [name, tensor] : read_torch_state_dict(data("srvgg_x4.pth")))
      tensors.emplace_back(name, name == "body.2.weight" ? tensor.narrow(1, 0, 4).contiguous() : tensor);
    write_safetensors(file, tensors);
    CHECK_THROWS_WITH(load_upscaler(file), Catch::Contains("shape.safetensors: tensor body.2.weight") && Catch::Contains("has shape [8, 4, 3, 3], expected [8, 8, 3, 3]"));
  }
  SECTION("another kind of model") {
    const auto file = fs::path(ATELIER_TEST_DATA_DIR) / "sd1-tiny/model.safetensors";
    CHECK_THROWS_AS(load_upscaler(file), UnsupportedModel);
    CHECK_THROWS_WITH(load_upscaler(file), Catch::Contains("model.safetensors: not an ESRGAN"));
  }
  SECTION("a compact model without PReLU") {
    const auto file = dir / "relu.safetensors";
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto& [name, tensor] : read_torch_state_dict(data("srvgg_x4.pth")))
      if (tensor.dim() == 4) tensors.emplace_back(name, tensor);
    write_safetensors(file, tensors);
    CHECK_THROWS_AS(load_upscaler(file), UnsupportedModel);
  }
}

TEST_CASE("upscalers are found as Lanczos, Nearest, a file or a library name") {
  CHECK(open_upscaler("lanczos", nullptr).name() == "Lanczos");
  CHECK(open_upscaler("Nearest", nullptr).name() == "Nearest");
  CHECK(open_upscaler(data("srvgg_x4.pth").string(), nullptr).name() == "srvgg_x4");
  const ModelResolver library = [](ModelKind kind, std::string_view name) -> std::optional<fs::path> {
    if (kind == ModelKind::Upscaler && name == "4x-Tiny") return data("rrdb_x4_old.pth");
    return std::nullopt;
  };
  CHECK(open_upscaler("4x-Tiny", library).description() == "RRDBNet x4 (8 features, 2 blocks), old ESRGAN names");
  CHECK_THROWS_WITH(open_upscaler("4x-Missing", library), Catch::Contains("upscaler '4x-Missing' not found"));
}

TEST_CASE("an upscale does not depend on the number of threads") {
  const auto picture = load_image(data("picture.png"));
  const auto upscaler = open_upscaler(data("rrdb_x2.pth").string(), {});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = upscaler.upscale(picture, 2);
  at::set_num_threads(2);
  const auto two = upscaler.upscale(picture, 2);
  at::set_num_threads(threads);
  int largest = 0;
  for (std::size_t i = 0; i < one.rgb.size(); ++i) largest = std::max(largest, std::abs(one.rgb[i] - two.rgb[i]));
  CHECK(largest <= 1);
}
