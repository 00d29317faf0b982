// Every kind of bad request gets a 4xx naming what is wrong, a failing generation a 500, and
// the server answers the next request either way.
#include <catch2/catch.hpp>

#include "core/io/png.h"
#include "server_fixture.h"

namespace atelier::test {
namespace {

using nlohmann::json;


json with(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

// The text of an error answer, whichever of FastAPI's shapes it has.
std::string detail_of(const json& body) {
  if (!body.is_object() || !body.contains("detail")) return body.dump();
  const json& detail = body["detail"];
  return detail.is_string() ? detail.get<std::string>() : detail.dump();
}

void check_still_serving(const TestServer& server) { CHECK(get(server, "/sdapi/v1/progress").status == 200); }

}  // namespace

TEST_CASE("bad requests get 4xx answers naming the field, and the server goes on", "[server]") {
  TestServer server;
  const std::string not_an_image = server::base64_encode({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  struct Case {
    std::string name, path;
    json body;
    int status;
    std::string mentions;
  };
  const std::vector<Case> cases{
      {"wrong type", "/sdapi/v1/txt2img", with(kSmallTxt2img, "steps", "many"), 422, "steps"},
      {"prompt not a string", "/sdapi/v1/txt2img", with(kSmallTxt2img, "prompt", 5), 422, "prompt"},
      {"body not an object", "/sdapi/v1/txt2img", json::array({1, 2}), 422, "body"},
      {"size not a multiple of 8", "/sdapi/v1/txt2img", with(kSmallTxt2img, "width", 100), 422, "multiple of 8"},
      {"size too large", "/sdapi/v1/txt2img", with(kSmallTxt2img, "width", 100000), 422, "width"},
      {"unknown sampler", "/sdapi/v1/txt2img", with(kSmallTxt2img, "sampler_name", "Euler z"), 404, "sampler_name"},
      {"unknown scheduler", "/sdapi/v1/txt2img", with(kSmallTxt2img, "scheduler", "wobbly"), 404, "scheduler"},
      {"unknown checkpoint", "/sdapi/v1/txt2img", with(kSmallTxt2img, "override_settings", {{"sd_model_checkpoint", "nope"}}),
       404, "sd_model_checkpoint"},
      {"checkpoint as a path", "/sdapi/v1/txt2img",
       with(kSmallTxt2img, "override_settings", {{"sd_model_checkpoint", tiny_model_path().string()}}), 404, "sd_model_checkpoint"},
      {"hires upscaler as a path", "/sdapi/v1/txt2img",
       with(with(kSmallTxt2img, "enable_hr", true), "hr_upscaler", tiny_model_path().string()), 404, "hr_upscaler"},
      {"unknown hires sampler", "/sdapi/v1/txt2img", with(with(kSmallTxt2img, "enable_hr", true), "hr_sampler_name", "Euler z"),
       404, "hr_sampler_name"},
      {"not run: hires checkpoint", "/sdapi/v1/txt2img",
       with(with(kSmallTxt2img, "enable_hr", true), "hr_checkpoint_name", "other.safetensors"), 422, "hr_checkpoint_name"},
      {"not run: pre-1.0 first pass size", "/sdapi/v1/txt2img", with(kSmallTxt2img, "firstphase_width", 64), 422,
       "firstphase_width"},
      {"hires scale out of range", "/sdapi/v1/txt2img", with(with(kSmallTxt2img, "enable_hr", true), "hr_scale", 0.5), 422,
       "hr_scale"},
      {"not run: scripts", "/sdapi/v1/txt2img", with(kSmallTxt2img, "alwayson_scripts", {{"controlnet", json::object()}}), 422,
       "alwayson_scripts"},
      {"missing LoRA", "/sdapi/v1/txt2img", with(kSmallTxt2img, "prompt", "a fox <lora:nowhere:1>"), 422, "nowhere"},
      {"no init image", "/sdapi/v1/img2img", kSmallTxt2img, 422, "init_images"},
      {"init image not base64", "/sdapi/v1/img2img", with(kSmallTxt2img, "init_images", {"@@@ not base64 @@@"}), 422,
       "init_images[0]"},
      {"init image not an image", "/sdapi/v1/img2img", with(kSmallTxt2img, "init_images", {not_an_image}), 422, "init_images[0]"},
      {"init image URL", "/sdapi/v1/img2img", with(kSmallTxt2img, "init_images", {"http://localhost/x.png"}), 422, "init_images[0]"},
      {"png-info without image", "/sdapi/v1/png-info", json::object(), 422, "image"},
      {"png-info of no image", "/sdapi/v1/png-info", {{"image", not_an_image}}, 422, "image"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto reply = post(server, c.path, c.body);
    CHECK(reply.status == c.status);
    CHECK_THAT(detail_of(reply.body), Catch::Contains(c.mentions));
  }

  SECTION("malformed JSON") {
    const auto reply = server.client().Post("/sdapi/v1/txt2img", "{\"prompt\": ", "application/json");
    REQUIRE(reply);
    CHECK(reply->status == 422);
    CHECK_THAT(reply->body, Catch::Contains("malformed JSON"));
  }
  SECTION("a body over the limit") {
    const std::string huge(std::size_t{65} << 20, 'A');
    const auto reply = server.client().Post("/sdapi/v1/img2img", "{\"init_images\": [\"" + huge + "\"]}", "application/json");
    REQUIRE(reply);
    CHECK(reply->status == 413);
  }
  SECTION("an init image too large in pixels") {
    const Image8 wide{9000, 8, std::vector<std::uint8_t>(9000 * 8 * 3, 128)};
    const auto reply = post(server, "/sdapi/v1/img2img", with(kSmallTxt2img, "init_images", {server::base64_encode(encode_png(wide, {}))}));
    CHECK(reply.status == 413);
    CHECK_THAT(detail_of(reply.body), Catch::Contains("9000x8"));
  }
  SECTION("unknown paths and methods as FastAPI answers them") {
    const auto missing = get(server, "/sdapi/v1/no-such-endpoint");
    CHECK(missing.status == 404);
    CHECK(missing.body == json{{"detail", "Not Found"}});
    CHECK(get(server, "/file=/etc/passwd").status == 404);
    const auto method = get(server, "/sdapi/v1/txt2img");
    CHECK(method.status == 405);
    CHECK(method.body == json{{"detail", "Method Not Allowed"}});
  }
  check_still_serving(server);
  CHECK(post(server, "/sdapi/v1/txt2img", kSmallTxt2img).status == 200);
}

TEST_CASE("a generation that fails answers 500 with the message, and the next one runs", "[server]") {
  TestServer server;
  // A checkpoint the library listed that is gone when the request comes.
  std::filesystem::copy_file(tiny_model_path(), server.library() / "gone.safetensors");  // a link would be listed as tiny's
  server.catalog().refresh();
  std::filesystem::remove(server.library() / "gone.safetensors");
  const auto failed = post(server, "/sdapi/v1/txt2img", with(kSmallTxt2img, "override_settings", {{"sd_model_checkpoint", "gone"}}));
  CHECK(failed.status == 500);
  CHECK_THAT(failed.body["errors"].get<std::string>(), Catch::Contains("gone.safetensors"));
  CHECK(failed.body["error"].is_string());
  const auto next = post(server, "/sdapi/v1/txt2img", kSmallTxt2img);
  INFO(next.body.dump());
  CHECK(next.status == 200);
}

}  // namespace atelier::test
