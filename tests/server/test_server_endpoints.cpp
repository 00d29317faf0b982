// The listing and settings endpoints in A1111's shapes, and HTTP Basic auth.
#include <catch2/catch.hpp>

#include <fstream>

#include "core/io/model_hashes.h"
#include "core/io/safetensors.h"
#include "server_fixture.h"

namespace atelier::test {
namespace {

using nlohmann::json;


}  // namespace

TEST_CASE("options: GET lists the settings, POST changes them, unknown keys are ignored", "[server]") {
  TestServer server;
  const auto options = get(server, "/sdapi/v1/options");
  REQUIRE(options.status == 200);
  CHECK(options.body["sd_model_checkpoint"].get<std::string>().starts_with("tiny.safetensors"));
  CHECK(options.body["CLIP_stop_at_last_layers"] == 1);
  CHECK(options.body["sd_vae"] == "Automatic");
  CHECK(options.body["samples_format"] == "png");
  CHECK(options.body["randn_source"] == "CPU");

  const auto set = post(server, "/sdapi/v1/options", {{"CLIP_stop_at_last_layers", 2}, {"some_other_option", true}});
  REQUIRE(set.status == 200);
  CHECK(set.body.is_null());
  CHECK(get(server, "/sdapi/v1/options").body["CLIP_stop_at_last_layers"] == 2);

  // The setting reaches the generation, and the checkpoint's title gains its hash once loaded.
  const auto reply = post(server, "/sdapi/v1/txt2img", kSmallTxt2img);
  REQUIRE(reply.status == 200);
  const json info = json::parse(reply.body["info"].get<std::string>());
  CHECK(info["clip_skip"] == 2);
  CHECK(info["infotexts"][0].get<std::string>().find("Clip skip: 2") != std::string::npos);
  const auto hashes = hash_model_file(tiny_model_path());
  const auto after = get(server, "/sdapi/v1/options").body;
  CHECK(after["sd_model_checkpoint"] == "tiny.safetensors [" + hashes.autov2() + "]");
  CHECK(after["sd_checkpoint_hash"] == hashes.sha256);

  SECTION("override_settings apply to one request only, unless asked to stay") {
    json body = kSmallTxt2img;
    body["override_settings"] = {{"CLIP_stop_at_last_layers", 1}, {"randn_source", "NV"}};
    const auto once = post(server, "/sdapi/v1/txt2img", body);
    INFO(once.body.dump());
    REQUIRE(once.status == 200);
    const auto text = json::parse(once.body["info"].get<std::string>())["infotexts"][0].get<std::string>();
    CHECK(text.find("Clip skip") == std::string::npos);
    CHECK(text.find("RNG: NV") != std::string::npos);
    CHECK(get(server, "/sdapi/v1/options").body["CLIP_stop_at_last_layers"] == 2);
    body["override_settings_restore_afterwards"] = false;
    REQUIRE(post(server, "/sdapi/v1/txt2img", body).status == 200);
    CHECK(get(server, "/sdapi/v1/options").body["CLIP_stop_at_last_layers"] == 1);
    CHECK(get(server, "/sdapi/v1/options").body["randn_source"] == "NV");
  }
  SECTION("bad values are refused naming the setting") {
    const auto unknown = post(server, "/sdapi/v1/options", {{"sd_model_checkpoint", "no-such-model"}});
    CHECK(unknown.status == 404);
    CHECK(unknown.body["detail"].get<std::string>().find("sd_model_checkpoint") != std::string::npos);
    const auto type = post(server, "/sdapi/v1/options", {{"CLIP_stop_at_last_layers", "two"}});
    CHECK(type.status == 422);
    CHECK(type.body["detail"][0]["loc"] == json::array({"body", "CLIP_stop_at_last_layers"}));
    CHECK(post(server, "/sdapi/v1/options", {{"samples_format", "jpg"}}).status == 422);
    CHECK(post(server, "/sdapi/v1/options", {{"sd_vae", "missing.safetensors"}}).status == 404);
    CHECK(get(server, "/sdapi/v1/options").body["CLIP_stop_at_last_layers"] == 2);
  }
}

TEST_CASE("sd-models lists the library's checkpoints as A1111 titles them; refresh-checkpoints rescans", "[server]") {
  TestServer server;
  const auto models = get(server, "/sdapi/v1/sd-models");
  REQUIRE(models.status == 200);
  REQUIRE(models.body.size() == 1);
  const json& tiny = models.body[0];
  CHECK(tiny["model_name"] == "tiny");
  CHECK(tiny["filename"] == (server.library() / "tiny.safetensors").string());
  CHECK(tiny["config"] == (server.library() / "tiny.yaml").string());
  CHECK(tiny["title"].get<std::string>().starts_with("tiny.safetensors"));

  // Atelier's layout: sub-folders of checkpoints/ are searched, the top level only for loose files.
  std::filesystem::create_directories(server.library() / "checkpoints" / "styles");
  // A copy: the library lists a file found twice (a link to it) once.
  std::filesystem::copy_file(tiny_model_path(), server.library() / "checkpoints" / "styles" / "ink.safetensors");
  CHECK(get(server, "/sdapi/v1/sd-models").body.size() == 1);  // not until refreshed
  REQUIRE(post(server, "/sdapi/v1/refresh-checkpoints", json::object()).status == 200);
  const auto refreshed = get(server, "/sdapi/v1/sd-models").body;
  REQUIRE(refreshed.size() == 2);
  bool found = false;
  for (const auto& model : refreshed)
    if (model["model_name"] == "styles_ink") found = model["title"].get<std::string>().starts_with("styles/ink.safetensors");
  CHECK(found);

  // A request names it by title, and the generation records it.
  json body = kSmallTxt2img;
  body["override_settings"] = {{"sd_model_checkpoint", "styles/ink.safetensors"}};
  const auto reply = post(server, "/sdapi/v1/txt2img", body);
  REQUIRE(reply.status == 200);
  CHECK(json::parse(reply.body["info"].get<std::string>())["sd_model_name"] == "ink");
}

TEST_CASE("samplers, schedulers and the other lists answer in A1111's shapes", "[server]") {
  TestServer server;
  const auto samplers = get(server, "/sdapi/v1/samplers").body;
  REQUIRE(samplers.is_array());
  std::map<std::string, json> by_name;
  for (const auto& sampler : samplers) by_name[sampler["name"]] = sampler;
  REQUIRE(by_name.contains("Euler a"));
  CHECK(by_name["Euler a"]["aliases"] == json::array({"k_euler_a"}));
  CHECK(by_name["DPM++ 2M"]["options"]["scheduler"] == "karras");
  CHECK(by_name.contains("DDIM"));

  const auto schedulers = get(server, "/sdapi/v1/schedulers").body;
  bool karras = false;
  for (const auto& s : schedulers)
    if (s["name"] == "karras") karras = s["label"] == "Karras" && s["default_rho"] == 7.0;
  CHECK(karras);

  CHECK(get(server, "/sdapi/v1/sd-vae").body == json::array());
  CHECK(get(server, "/sdapi/v1/loras").body == json::array());
  CHECK(get(server, "/sdapi/v1/embeddings").body == json{{"loaded", json::object()}, {"skipped", json::object()}});
  CHECK(get(server, "/sdapi/v1/upscalers").body[0]["name"] == "None");
  CHECK(get(server, "/sdapi/v1/latent-upscale-modes").body[0]["name"] == "Latent");
  const auto memory = get(server, "/sdapi/v1/memory").body;
  CHECK(memory["ram"]["used"].get<double>() > 0);
  CHECK(memory["ram"]["total"].get<double>() > memory["ram"]["used"].get<double>());

  const auto openapi = get(server, "/openapi.json").body;
  CHECK(openapi["paths"]["/sdapi/v1/txt2img"].contains("post"));
  CHECK(openapi["paths"]["/sdapi/v1/progress"].contains("get"));
  CHECK(openapi["paths"]["/sdapi/v1/options"].contains("post"));
}

TEST_CASE("with --api-auth every endpoint needs the credentials; without it a blank header is ignored", "[server]") {
  SECTION("auth on") {
    server::HttpConfig config;
    config.user = "artist";
    config.password = "s3cret:with colon";
    TestServer server(config);
    auto client = server.client();
    const auto none = client.Get("/sdapi/v1/progress");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(none->get_header_value("WWW-Authenticate") == "Basic");
    client.set_basic_auth("artist", "wrong");
    CHECK(client.Get("/sdapi/v1/progress")->status == 401);
    client.set_basic_auth("other", "s3cret:with colon");
    CHECK(client.Get("/sdapi/v1/sd-models")->status == 401);
    CHECK(client.Get("/no/such/path")->status == 401);  // nothing is told before the credentials
    client.set_basic_auth("artist", "s3cret:with colon");
    CHECK(client.Get("/sdapi/v1/progress")->status == 200);
    CHECK(client.Post("/sdapi/v1/txt2img", kSmallTxt2img.dump(), "application/json")->status == 200);
  }
  SECTION("auth off") {
    TestServer server;
    auto client = server.client();
    for (const char* blank : {"", "Basic ", "Basic"}) {
      const auto reply = client.Get("/sdapi/v1/progress", {{"Authorization", blank}});
      REQUIRE(reply);
      CHECK(reply->status == 200);
    }
  }
}

TEST_CASE("loras lists each network with its safetensors metadata, JSON values parsed as A1111 does", "[server]") {
  TestServer server;
  std::filesystem::create_directories(server.library() / "loras");
  write_safetensors(server.library() / "loras" / "styled.safetensors",
                    {{"lora_unet_x.lora_up.weight", at::zeros({2, 1})}},
                    {{"ss_output_name", "fancy"},
                     {"ss_tag_frequency", R"({"img": {"fox": 3}})"},
                     {"ss_resolution", "(64, 64)"},
                     {"ss_note", "{not json"}});
  std::ofstream(server.library() / "loras" / "legacy.pt") << "not read for metadata";
  REQUIRE(post(server, "/sdapi/v1/refresh-checkpoints", json::object()).status == 200);
  std::map<std::string, json> by_name;
  for (const auto& lora : get(server, "/sdapi/v1/loras").body) by_name[lora["name"]] = lora;
  REQUIRE(by_name.contains("styled"));
  json styled = by_name["styled"];  // a copy: a missing key then fails the check rather than the test
  CHECK(styled["alias"] == "fancy");
  CHECK(styled["metadata"]["ss_tag_frequency"] == json{{"img", {{"fox", 3}}}});
  CHECK(styled["metadata"]["ss_resolution"] == "(64, 64)");
  CHECK(styled["metadata"]["ss_note"] == "{not json");
  REQUIRE(by_name.contains("legacy"));
  CHECK(by_name["legacy"]["metadata"] == json::object());
}

}  // namespace atelier::test
