// A bounded load test, run on demand (`test_server "[.load]"`): 20 clients polling progress at
// 10 Hz and 200 malformed requests during two generations. Nothing may fail or be lost; the
// generation's slowdown is printed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>

#include "server_fixture.h"

namespace atelier::test {

TEST_CASE("load: progress pollers and malformed requests do not stop or lose a generation", "[.load]") {
  TestServer server;
  const nlohmann::json body = {{"prompt", "a lighthouse"}, {"steps", 150}, {"width", 64}, {"height", 64}, {"seed", 3}};
  const auto timed = [&] {
    const auto start = std::chrono::steady_clock::now();
    const auto reply = post(server, "/sdapi/v1/txt2img", body);
    REQUIRE(reply.status == 200);
    REQUIRE(reply.body["images"].size() == 1);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::atomic<int> polls{0}, poll_failures{0}, malformed{0}, malformed_wrong{0};
  // One generation while 20 clients poll progress at 10 Hz and one sends malformed requests.
  const auto timed_under_load = [&] {
    std::atomic<bool> done{false};
    std::vector<std::future<void>> clients;
    for (int i = 0; i < 20; ++i)
      clients.push_back(std::async(std::launch::async, [&] {
        auto client = server.client();
        while (!done) {
          const auto reply = client.Get("/sdapi/v1/progress");
          ++polls;
          if (!reply || reply->status != 200) ++poll_failures;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }));
    clients.push_back(std::async(std::launch::async, [&] {
      auto client = server.client();
      for (int i = 0; i < 100; ++i) {
        const auto reply = client.Post("/sdapi/v1/txt2img", i % 2 ? "{\"steps\": " : "[1, 2", "application/json");
        ++malformed;
        if (!reply || reply->status != 422) ++malformed_wrong;
      }
    }));
    const double seconds = timed();
    done = true;
    for (auto& client : clients) client.get();
    return seconds;
  };
  timed();  // the model loads
  // Quiet and loaded runs alternate, as the machine's own load varies.
  double quiet = 0, loaded = 0;
  for (int round = 0; round < 2; ++round) {
    quiet += timed();
    loaded += timed_under_load();
  }
  std::cout << "load: generation " << quiet << " s quiet, " << loaded << " s under load (" << (loaded / quiet - 1) * 100
            << " % slower); " << polls << " progress polls, " << poll_failures << " failed; " << malformed
            << " malformed requests, " << malformed_wrong << " not answered 422\n";
  CHECK(poll_failures == 0);
  CHECK(malformed_wrong == 0);
}

}  // namespace atelier::test
