#pragma once
// An HTTP server on a free loopback port for one test (cpp-httplib), serving in its own thread
// until destroyed, and the helpers download tests shape Hugging Face-like answers with.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/io/sha256.h"

namespace atelier::test {

class LoopbackHttpServer {
 public:
  LoopbackHttpServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind a loopback port for the test server");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LoopbackHttpServer() {
    server_.stop();
    thread_.join();
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  httplib::Server& routes() { return server_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& path) const { return base_url() + path; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Bytes that differ from position to position, so that a misplaced resume shows.
inline std::string test_payload(std::size_t size) {
  std::string bytes(size, '\0');
  std::uint32_t state = 12345;
  for (auto& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

// The sha256 of a payload, hex, as a download's --sha256 takes it.
inline std::string payload_sha256(const std::string& bytes) {
  Sha256 hash;
  hash.update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  const auto digest = hash.finish();
  return to_hex(digest);
}

// Serves `payload` with its Content-Length in chunks (cpp-httplib answers a Range with 206 and the
// asked part itself); stops (closing the connection) before byte `cut_at` when it is given.
inline void serve_payload(httplib::Response& response, const std::string& payload,
                          std::size_t cut_at = std::string::npos) {
  response.set_content_provider(
      payload.size(), "application/octet-stream",
      [&payload, cut_at](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        constexpr std::size_t kChunk = 16 * 1024;
        const std::size_t end = std::min(offset + length, cut_at);
        for (std::size_t at = offset; at < end; at += kChunk)
          if (!sink.write(payload.data() + at, std::min(kChunk, end - at))) return false;
        return end == offset + length;
      });
}

// Sends the first half of `payload` (its Content-Length announcing all of it), then holds the
// rest back until `released` is set (at most 10 s) and closes the connection: a stalled transfer.
inline void serve_half_then_hold(httplib::Response& response, const std::string& payload, const std::atomic<bool>& released) {
  response.set_content_provider(payload.size(), "application/octet-stream",
                                [&payload, &released](std::size_t, std::size_t, httplib::DataSink& sink) {
                                  sink.write(payload.data(), payload.size() / 2);
                                  for (int i = 0; i < 2000 && !released; ++i)
                                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                  return false;
                                });
}

}  // namespace atelier::test
