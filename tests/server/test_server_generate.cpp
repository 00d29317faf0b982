// Generations through the API give what the pipeline gives, carry their parameters, and can be
// watched, skipped and interrupted while they run.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <future>

#include "core/gallery/image_output.h"
#include "core/io/model_hashes.h"
#include "core/io/png.h"
#include "core/pipeline/pipeline.h"
#include "server_fixture.h"

namespace atelier::test {
namespace {

using nlohmann::json;

const json kTxt2img = {{"prompt", "a red fox in the snow"}, {"negative_prompt", "blurry"}, {"steps", 3},
                       {"width", 64}, {"height", 64}, {"seed", 1234}, {"sampler_name", "Euler a"},
                       {"cfg_scale", 6.5}, {"unknown_field", "ignored as pydantic ignores it"}};

// What the pipeline itself makes of kTxt2img's settings.
GenerationParams direct_params() {
  GenerationParams p;
  p.model = tiny_model_path();
  p.prompt = "a red fox in the snow";
  p.negative_prompt = "blurry";
  p.steps = 3;
  p.width = p.height = 64;
  p.seed = 1234;
  p.sampler = "Euler a";
  p.cfg_scale = 6.5;
  p.device = DeviceChoice::Cpu;
  return p;
}

// Polls progress until `ready` holds for it; fails after a minute.
json wait_for_progress(const TestServer& server, const std::function<bool(const json&)>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto progress = get(server, "/sdapi/v1/progress");
    REQUIRE(progress.status == 200);
    if (ready(progress.body)) return progress.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL("progress never reached the awaited state");
  return {};
}

}  // namespace

TEST_CASE("txt2img gives the pixels Pipeline::generate gives, with A1111's response fields", "[server]") {
  TestServer server;
  TempDir files;
  const auto reply = post(server, "/sdapi/v1/txt2img", kTxt2img);
  REQUIRE(reply.status == 200);
  REQUIRE(reply.body["images"].size() == 1);
  const Image8 api = decode_png(reply.body["images"][0], files / "api.png");

  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  const auto direct = pipeline.generate(direct_params());
  REQUIRE(direct.size() == 1);
  CHECK(api.width == 64);
  CHECK(api.height == 64);
  CHECK(api.rgb == direct[0].image.rgb);

  // `info` is a JSON string, as A1111's Processed.js() dumps it.
  REQUIRE(reply.body["info"].is_string());
  const json info = json::parse(reply.body["info"].get<std::string>());
  CHECK(info["seed"] == 1234);
  CHECK(info["all_seeds"] == json::array({1234}));
  CHECK(info["prompt"] == "a red fox in the snow");
  CHECK(info["all_prompts"] == json::array({"a red fox in the snow"}));
  CHECK(info["negative_prompt"] == "blurry");
  CHECK(info["sampler_name"] == "Euler a");
  CHECK(info["steps"] == 3);
  CHECK(info["cfg_scale"] == 6.5);
  CHECK(info["width"] == 64);
  CHECK(info["sd_model_name"] == "tiny");
  CHECK(info["sd_model_hash"] == hash_model_file(tiny_model_path()).autov2());
  CHECK(info["clip_skip"] == 1);
  REQUIRE(info["infotexts"].size() == 1);
  CHECK(info["all_subseeds"].size() == 1);

  // The PNG carries the infotext the response lists.
  std::string parameters;
  for (const auto& text : read_png_texts(files / "api.png"))
    if (text.keyword == "parameters") parameters = text.text;
  CHECK(parameters == info["infotexts"][0].get<std::string>());
  CHECK(parameters.find("Steps: 3, Sampler: Euler a") != std::string::npos);
  CHECK(parameters.find("Seed: 1234, Size: 64x64, Model hash: " + info["sd_model_hash"].get<std::string>()) !=
        std::string::npos);

  // `parameters` echoes the request over A1111's defaults, without unknown keys.
  const json& echo = reply.body["parameters"];
  CHECK(echo["prompt"] == "a red fox in the snow");
  CHECK(echo["steps"] == 3);
  CHECK(echo["n_iter"] == 1);
  CHECK(echo["sampler_index"] == "Euler");
  CHECK(echo["send_images"] == true);
  CHECK_FALSE(echo.contains("unknown_field"));

  SECTION("png-info of the PNG round-trips the parameters") {
    const auto png = post(server, "/sdapi/v1/png-info", {{"image", reply.body["images"][0]}});
    REQUIRE(png.status == 200);
    CHECK(png.body["info"] == parameters);
    const json& parsed = png.body["parameters"];
    CHECK(parsed["Prompt"] == "a red fox in the snow");
    CHECK(parsed["Negative prompt"] == "blurry");
    CHECK(parsed["Steps"] == "3");
    CHECK(parsed["Sampler"] == "Euler a");
    CHECK(parsed["Seed"] == "1234");
    CHECK(parsed["CFG scale"] == "6.5");
    CHECK(parsed["Size-1"] == "64");
    CHECK(parsed["Size-2"] == "64");
    CHECK(png.body["items"].contains("atelier"));
  }

  SECTION("img2img of it gives the pixels the pipeline gives from the same init image") {
    const std::string data_url = "data:image/png;base64," + reply.body["images"][0].get<std::string>();
    json body = kTxt2img;
    body["init_images"] = {data_url};
    body["denoising_strength"] = 0.5;
    const auto img2img = post(server, "/sdapi/v1/img2img", body);
    REQUIRE(img2img.status == 200);
    const Image8 api2 = decode_png(img2img.body["images"][0], files / "api2.png");
    auto p = direct_params();
    p.init_image = files / "api.png";
    p.denoising_strength = 0.5;
    CHECK(api2.rgb == pipeline.generate(p)[0].image.rgb);
    const json info2 = json::parse(img2img.body["info"].get<std::string>());
    CHECK(info2["denoising_strength"] == 0.5);
    CHECK(info2["infotexts"][0].get<std::string>().find("Denoising strength: 0.5") != std::string::npos);
    CHECK(img2img.body["parameters"]["init_images"].is_null());  // include_init_images false

    SECTION("with a mask it inpaints and records the blur") {
      Image8 mask{64, 64, std::vector<std::uint8_t>(64 * 64 * 3, 0)};
      for (int y = 16; y < 48; ++y)
        for (int x = 16; x < 48; ++x)
          for (int c = 0; c < 3; ++c) mask.rgb[(y * 64 + x) * 3 + c] = 255;
      body["mask"] = server::base64_encode(encode_png(mask, {}));
      body["mask_blur"] = 2;
      const auto inpainted = post(server, "/sdapi/v1/img2img", body);
      REQUIRE(inpainted.status == 200);
      const json info3 = json::parse(inpainted.body["info"].get<std::string>());
      // A1111's API defaults: masked content fill, inpaint area only masked, no padding.
      CHECK_THAT(info3["infotexts"][0].get<std::string>(),
                 Catch::Contains("Mask blur: 2, Inpaint area: Only masked, Masked area padding: 0, Masked content: fill"));
      const Image8 out = decode_png(inpainted.body["images"][0], files / "inpainted.png");
      CHECK(out.rgb[0] == api.rgb[0]);  // outside the mask the init image stays

      body["inpainting_fill"] = 1;
      body["inpaint_full_res"] = false;
      body["inpainting_mask_invert"] = 1;
      const auto whole = post(server, "/sdapi/v1/img2img", body);
      REQUIRE(whole.status == 200);
      const auto text = json::parse(whole.body["info"].get<std::string>())["infotexts"][0].get<std::string>();
      CHECK_THAT(text, Catch::Contains("Mask mode: Inpaint not masked, Mask blur: 2, ") &&
                           !Catch::Contains("Inpaint area") && !Catch::Contains("Masked content"));
      const Image8 inverted = decode_png(whole.body["images"][0], files / "inverted.png");
      CHECK(inverted.rgb[0] != api.rgb[0]);  // the black border now repaints
    }
  }
}

TEST_CASE("enable_hr runs A1111's hires fix with a library upscaler, and tiling, as the pipeline does", "[server]") {
  TestServer server;
  TempDir files;
  const auto upscaler = add_library_upscaler(server, "rrdb_x2.pth");
  const auto list = get(server, "/sdapi/v1/upscalers");
  REQUIRE(list.status == 200);
  REQUIRE(list.body.size() == 4);
  CHECK(list.body[3]["name"] == "rrdb_x2");
  CHECK(list.body[3]["model_path"] == upscaler.string());

  json body = kTxt2img;
  body.update({{"steps", 2}, {"enable_hr", true}, {"hr_scale", 2}, {"hr_upscaler", "rrdb_x2"},
               {"hr_second_pass_steps", 1}, {"denoising_strength", 0.5}, {"hr_sampler_name", "Euler"},
               {"hr_prompt", "a red fox in the snow, detailed"}, {"tiling", true}});
  const auto reply = post(server, "/sdapi/v1/txt2img", body);
  REQUIRE(reply.status == 200);
  const Image8 api = decode_png(reply.body["images"][0], files / "hires.png");
  CHECK(api.width == 128);
  CHECK(api.height == 128);

  auto p = direct_params();
  p.steps = 2;
  p.hires_fix = true;
  p.hires_scale = 2;
  p.hires_upscaler = "rrdb_x2";
  p.hires_steps = 1;
  p.denoising_strength = 0.5;
  p.hires_sampler = "Euler";
  p.hires_prompt = "a red fox in the snow, detailed";
  p.tiling = true;
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  pipeline.set_upscaler_finder([&](ModelKind, std::string_view name) -> std::optional<std::filesystem::path> {
    if (name != "rrdb_x2") return std::nullopt;
    return data_path("upscalers/rrdb_x2.pth");
  });
  CHECK(api.rgb == pipeline.generate(p).at(0).image.rgb);

  const auto text = json::parse(reply.body["info"].get<std::string>())["infotexts"][0].get<std::string>();
  CHECK_THAT(text, Catch::Contains("Denoising strength: 0.5") && Catch::Contains("Hires upscale: 2") &&
                       Catch::Contains("Hires steps: 1") && Catch::Contains("Hires upscaler: rrdb_x2") &&
                       Catch::Contains("Hires sampler: Euler") && Catch::Contains("Tiling: True"));
}

TEST_CASE("batches: n_iter and batch_size give A1111's seeds; save_images writes to the output folder", "[server]") {
  TestServer server;
  json body = kTxt2img;
  body["n_iter"] = 2;
  body["batch_size"] = 2;
  body["steps"] = 1;
  body["save_images"] = true;
  body["send_images"] = false;
  const auto reply = post(server, "/sdapi/v1/txt2img", body);
  REQUIRE(reply.status == 200);
  CHECK(reply.body["images"].empty());
  const json info = json::parse(reply.body["info"].get<std::string>());
  CHECK(info["all_seeds"] == json::array({1234, 1235, 1236, 1237}));
  REQUIRE(info["infotexts"].size() == 4);
  CHECK(info["infotexts"][3].get<std::string>().find("Seed: 1237,") != std::string::npos);

  std::vector<std::filesystem::path> saved;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(server.outputs()))
    if (entry.is_regular_file()) saved.push_back(entry.path());
  std::sort(saved.begin(), saved.end());
  REQUIRE(saved.size() == 4);
  CHECK(saved[0].filename() == "00000-1234.png");
  CHECK(saved[3].filename() == "00003-1237.png");
}

TEST_CASE("progress reports a running generation; skip moves to the next batch, interrupt stops it", "[server]") {
  TestServer server;
  const auto idle = get(server, "/sdapi/v1/progress");
  REQUIRE(idle.status == 200);
  CHECK(idle.body["progress"] == 0);
  CHECK(idle.body["state"]["job_count"] == 0);

  json body = kTxt2img;
  body["steps"] = 1000;  // long enough to be caught running
  body["n_iter"] = 2;
  auto running = std::async(std::launch::async, [&] { return post(server, "/sdapi/v1/txt2img", body); });

  const json first = wait_for_progress(server, [](const json& p) { return p["state"]["sampling_step"] > 0; });
  CHECK(first["state"]["job"] == "txt2img");
  CHECK(first["state"]["job_count"] == 2);
  CHECK(first["state"]["job_no"] == 0);
  CHECK(first["state"]["sampling_steps"] == 1000);
  CHECK(first["progress"].get<double>() > 0);
  CHECK(first["progress"].get<double>() < 0.5);
  CHECK(first["eta_relative"].get<double>() >= 0);
  REQUIRE(first["current_image"].is_string());
  TempDir files;
  CHECK(decode_png(first["current_image"], files / "preview.png").width > 0);
  CHECK(get(server, "/sdapi/v1/progress?skip_current_image=true").body["current_image"].is_null());

  REQUIRE(post(server, "/sdapi/v1/skip", json::object()).status == 200);
  const json second = wait_for_progress(server, [](const json& p) {
    return p["state"]["job_no"] == 1 && p["state"]["sampling_step"] > 0;
  });
  CHECK(second["progress"].get<double>() > 0.5);

  const auto interrupt = post(server, "/sdapi/v1/interrupt", json::object());
  REQUIRE(interrupt.status == 200);
  CHECK(interrupt.body == json::object());
  REQUIRE(running.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  const auto reply = running.get();
  REQUIRE(reply.status == 200);
  CHECK(reply.body["images"].empty());  // the first batch skipped, the second interrupted
  CHECK(get(server, "/sdapi/v1/progress").body["state"]["job"] == "");
}

TEST_CASE("requests queue: one generation at a time, each answered with its own images", "[server]") {
  TestServer server;
  std::vector<std::future<Reply>> replies;
  for (int seed : {10, 20, 30}) {
    json body = kTxt2img;
    body["seed"] = seed;
    body["steps"] = 2;
    replies.push_back(std::async(std::launch::async, [&server, body] { return post(server, "/sdapi/v1/txt2img", body); }));
  }
  for (int i = 0; i < 3; ++i) {
    const auto reply = replies[i].get();
    REQUIRE(reply.status == 200);
    CHECK(json::parse(reply.body["info"].get<std::string>())["seed"] == 10 * (i + 1));
  }
}


TEST_CASE("info.comments tells what A1111 comments on: an embedding the prompt names that cannot be read", "[server]") {
  TestServer server;
  std::filesystem::create_directories(server.library() / "embeddings");
  std::ofstream(server.library() / "embeddings" / "Smudge.pt", std::ios::binary) << "PK\x03\x04 cut short";
  auto request = kTxt2img;
  request["prompt"] = "a red fox, smudge";
  const auto reply = post(server, "/sdapi/v1/txt2img", request);
  REQUIRE(reply.status == 200);
  const json info = json::parse(reply.body["info"].get<std::string>());
  CHECK_THAT(info["comments"].get<std::string>(), Catch::Contains("Smudge could not be read"));

  request["prompt"] = "a red fox";
  const json plain = json::parse(post(server, "/sdapi/v1/txt2img", request).body["info"].get<std::string>());
  CHECK(plain["comments"] == "");
}

}  // namespace atelier::test
