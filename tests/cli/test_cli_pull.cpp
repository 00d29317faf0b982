// atelier-cli models pull and models starters, against a loopback server shaped like Hugging Face.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "cli/cli_runner.h"
#include "core/library/model_download.h"
#include "support/loopback_http_server.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::LoopbackHttpServer;
using atelier::test::payload_sha256;
using atelier::test::ScopedEnv;
using atelier::test::serve_half_then_hold;
using atelier::test::serve_payload;
using atelier::test::TempDir;
using atelier::test::test_payload;
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelPath = "/owner/repo/resolve/main/unet/model.safetensors";


}  // namespace

TEST_CASE("models pull OWNER/REPO FILE downloads through HF_ENDPOINT into the library's checkpoint folder") {
  const std::string payload = test_payload(200 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [&](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") != "Bearer env-token") response.status = 401;
    else serve_payload(response, payload);
  });
  Home home;
  ScopedEnv endpoint("HF_ENDPOINT", server.base_url());
  ScopedEnv token("HF_TOKEN", "env-token");
  TempDir out;

  const auto result = run_cli({"models", "pull", "owner/repo", "unet/model.safetensors", "--sha256", payload_sha256(payload)}, out.path());

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const fs::path expected = home.dir / "data/atelier/models/checkpoints/model.safetensors";
  CHECK(result.out == expected.string() + "\n");
  CHECK(read_all(expected) == payload);
  CHECK_THAT(result.err, Catch::Contains(server.url(kModelPath)) && Catch::Contains(format_bytes(payload.size())));
}

TEST_CASE("models pull with a wrong --sha256 exits 2, says so and leaves no file") {
  const std::string payload = test_payload(100 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) { serve_payload(response, payload); });
  Home home;
  TempDir out;
  const fs::path dest = out / "models";
  const std::string wrong(64, '0');

  const auto result = run_cli({"models", "pull", server.url(kModelPath), "--sha256", wrong, "--dest", dest.string()}, out.path());

  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("sha256 mismatch") && Catch::Contains("expected " + wrong) &&
                             Catch::Contains("got " + payload_sha256(payload)));
  CHECK(fs::is_empty(dest));
}

TEST_CASE("models pull stops on SIGINT with exit 130 and deletes the partial file") {
  const std::string payload = test_payload(256 * 1024);
  LoopbackHttpServer server;
  std::atomic<bool> finished{false};
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) {
    serve_half_then_hold(response, payload, finished);
  });
  Home home;
  TempDir out;
  const fs::path dest = out / "models";
  const fs::path part = dest / "model.safetensors.part";

  const pid_t pid = start_cli({"models", "pull", server.url(kModelPath), "--dest", dest.string()}, out.path());
  for (int i = 0; i < 1000 && !(fs::exists(part) && fs::file_size(part) > 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(fs::exists(part));
  ::kill(pid, SIGINT);
  const auto result = finish_cli(pid, out.path());
  finished = true;

  CHECK(result.exit_code == 130);
  CHECK_THAT(result.err, Catch::Contains("cancelled"));
  CHECK(fs::is_empty(dest));
}

TEST_CASE("models starters lists the starter models with their licences") {
  TempDir out;
  const auto result = run_cli({"models", "starters"}, out.path());
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("sd15  Stable Diffusion 1.5") && Catch::Contains("CreativeML Open RAIL-M") &&
                             Catch::Contains("/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.safetensors"));
}
