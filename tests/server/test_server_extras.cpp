// extra-single-image: A1111's extras-tab upscale through the API, queued beside generations,
// with the pixels atelier-cli upscale gives and A1111's postprocessing text.
#include <catch2/catch.hpp>

#include "core/io/png.h"
#include "core/upscale/upscaler.h"
#include "server_fixture.h"

namespace atelier::test {
namespace {

using nlohmann::json;

std::filesystem::path upscaler_data(const std::string& name) { return data_path("upscalers/" + name); }

std::string base64_file(const std::filesystem::path& path) { return server::base64_encode(read_bytes(path)); }

std::string text_chunk(const std::filesystem::path& png, const std::string& keyword) {
  for (const auto& text : read_png_texts(png))
    if (text.keyword == keyword) return text.text;
  return {};
}

}  // namespace

TEST_CASE("extra-single-image upscales as the extras tab does, with its postprocessing text", "[server]") {
  TestServer server;
  TempDir files;
  add_library_upscaler(server, "rrdb_x2.pth");
  const Image8 picture = load_image(upscaler_data("picture.png"));
  const std::string image = base64_file(upscaler_data("picture.png"));

  SECTION("a library model by its listed name") {
    const auto reply = post(server, "/sdapi/v1/extra-single-image",
                            {{"image", image}, {"upscaler_1", "rrdb_x2"}, {"upscaling_resize", 2}});
    REQUIRE(reply.status == 200);
    const Image8 out = decode_png(reply.body["image"], files / "model.png");
    CHECK(out.width == 2 * picture.width);
    CHECK(out.height == 2 * picture.height);
    CHECK(out.rgb == open_upscaler(upscaler_data("rrdb_x2.pth").string(), {}).upscale(picture, 2).rgb);
    CHECK(reply.body["html_info"] == "<p>Postprocess upscale by: 2, Postprocess upscaler: rrdb_x2</p>");
    CHECK(text_chunk(files / "model.png", "postprocessing") == "Postprocess upscale by: 2, Postprocess upscaler: rrdb_x2");
  }
  SECTION("Lanczos by a factor the extras tab allows, from a data URL") {
    const auto reply = post(server, "/sdapi/v1/extra-single-image",
                            {{"image", "data:image/png;base64," + image}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 1.5}});
    REQUIRE(reply.status == 200);
    CHECK(decode_png(reply.body["image"], files / "lanczos.png").rgb == Upscaler::lanczos().upscale(picture, 1.5).rgb);
    CHECK(reply.body["html_info"] == "<p>Postprocess upscale by: 1.5, Postprocess upscaler: Lanczos</p>");
  }
  SECTION("a second upscaler blended in at its visibility, as Image.blend does") {
    const auto reply = post(server, "/sdapi/v1/extra-single-image",
                            {{"image", image}, {"upscaler_1", "rrdb_x2"}, {"upscaler_2", "Nearest"},
                             {"extras_upscaler_2_visibility", 0.3}, {"upscaling_resize", 2}});
    REQUIRE(reply.status == 200);
    const Image8 out = decode_png(reply.body["image"], files / "two.png");
    const auto first = open_upscaler(upscaler_data("rrdb_x2.pth").string(), {}).upscale(picture, 2);
    const auto second = Upscaler::nearest().upscale(picture, 2);
    REQUIRE(out.rgb.size() == first.rgb.size());
    // Pillow's Blend.c: in1 + alpha (in2 - in1) in float, truncated.
    int differing = 0;
    for (std::size_t i = 0; i < out.rgb.size(); ++i) {
      const float want = static_cast<float>(first.rgb[i]) + 0.3f * (static_cast<float>(second.rgb[i]) - first.rgb[i]);
      differing += out.rgb[i] != static_cast<std::uint8_t>(want);
    }
    CHECK(differing == 0);
    CHECK(out.rgb != first.rgb);
    CHECK(reply.body["html_info"] ==
          "<p>Postprocess upscale by: 2, Postprocess upscaler: rrdb_x2, Postprocess upscaler 2: Nearest</p>");
  }
  SECTION("None leaves the image as it is, as A1111 does") {
    const auto reply = post(server, "/sdapi/v1/extra-single-image", {{"image", image}});
    REQUIRE(reply.status == 200);
    CHECK(decode_png(reply.body["image"], files / "none.png").rgb == picture.rgb);
    CHECK(reply.body["html_info"] == "<p></p>");
  }
  SECTION("bad requests are refused naming the field, and the server goes on") {
    const Image8 wide{4096, 8, std::vector<std::uint8_t>(4096 * 8 * 3, 50)};
    const std::string wide_image = server::base64_encode(encode_png(wide, {}));
    struct Case {
      json body;
      int status;
      std::string mentions;
    };
    const std::vector<Case> cases{
        {{{"upscaler_1", "Lanczos"}}, 422, "image"},
        {{{"image", image}, {"upscaler_1", "nowhere"}}, 404, "upscaler_1"},
        {{{"image", image}, {"upscaler_1", upscaler_data("rrdb_x2.pth").string()}}, 404, "upscaler_1"},
        {{{"image", image}, {"upscaler_1", "Lanczos"}, {"codeformer_visibility", 0.5}}, 422, "codeformer_visibility"},
        {{{"image", image}, {"upscaler_1", "Lanczos"}, {"resize_mode", 1}}, 422, "resize_mode"},
        {{{"image", image}, {"upscaler_1", "Lanczos"}, {"upscaler_2", "nowhere"}, {"extras_upscaler_2_visibility", 0.5}},
         404, "upscaler_2"},
        {{{"image", image}, {"upscaler_1", "Lanczos"}, {"upscaler_2", "Nearest"}, {"extras_upscaler_2_visibility", 1.5}},
         422, "extras_upscaler_2_visibility"},
        {{{"image", image}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 9}}, 422, "upscaling_resize"},
        {{{"image", wide_image}, {"upscaler_1", "Lanczos"}, {"upscaling_resize", 8}}, 413, "upscaling_resize"},
        {{{"image", "not an image"}, {"upscaler_1", "Lanczos"}}, 422, "image"},
    };
    for (const auto& c : cases) {
      INFO(c.body.dump().substr(0, 200));
      const auto reply = post(server, "/sdapi/v1/extra-single-image", c.body);
      CHECK(reply.status == c.status);
      CHECK_THAT(reply.body.dump(), Catch::Contains(c.mentions));
    }
    CHECK(post(server, "/sdapi/v1/txt2img", kSmallTxt2img).status == 200);
  }
}

}  // namespace atelier::test
