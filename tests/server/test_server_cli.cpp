// atelier-cli serve as a user starts it: refused off loopback without auth, else serving.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <thread>

#include "cli/cli_runner.h"
#include "server_fixture.h"

namespace atelier::test {

TEST_CASE("atelier-cli serve refuses a non-loopback host without --api-auth", "[server][cli]") {
  TempDir dir;
  const auto outcome = cli_test::run_cli({"serve", "--host", "0.0.0.0", "--library", dir.path().string()}, dir.path());
  CHECK(outcome.exit_code == 2);
  CHECK_THAT(outcome.err, Catch::Contains("--api-auth"));
  CHECK(cli_test::run_cli({"serve", "--api-auth", "nopassword"}, dir.path()).exit_code == 2);
}

TEST_CASE("atelier-cli serve answers on the port it prints and stops on SIGTERM", "[server][cli]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "library");
  const pid_t pid = cli_test::start_cli({"serve", "--port", "0", "--library", (dir / "library").string(), "--model",
                                         tiny_model_path().string(), "--output-dir", (dir / "out").string()},
                                        dir.path());
  // The first line says where it listens.
  std::smatch match;
  std::string out;
  const std::regex listening(R"(http://127\.0\.0\.1:(\d+)/sdapi/v1/)");
  for (int i = 0; i < 600 && !std::regex_search(out, match, listening); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out = cli_test::read_all(dir / "stdout.txt");
  }
  REQUIRE(std::regex_search(out, match, listening));
  httplib::Client client("127.0.0.1", std::stoi(match[1].str()));
  const auto models = client.Get("/sdapi/v1/sd-models");
  REQUIRE(models);
  CHECK(models->status == 200);
  const auto list = nlohmann::json::parse(models->body);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["filename"] == tiny_model_path().string());
  kill(pid, SIGTERM);
  CHECK(cli_test::finish_cli(pid, dir.path()).exit_code == 0);
}

}  // namespace atelier::test
