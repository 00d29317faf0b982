#pragma once
// An API server on a free loopback port in this process, over a library folder holding the
// tiny SD1 checkpoint as "tiny.safetensors" (with its yaml), and a client for it.
#include <httplib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/image.h"
#include "server/api_service.h"
#include "server/base64.h"
#include "server/model_catalog.h"
#include "support/bytes.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

namespace atelier::test {

class TestServer {
 public:
  explicit TestServer(server::HttpConfig config = {}) {
    std::filesystem::create_directories(library());
    std::filesystem::create_symlink(tiny_model_path(), library() / "tiny.safetensors");
    std::filesystem::create_symlink(data_path("sd1-tiny/model.yaml"), library() / "tiny.yaml");
    config.port = 0;
    server::ApiServiceConfig service;
    service.http = std::move(config);
    service.roots = {library()};
    service.output = outputs();
    service.device = DeviceChoice::Cpu;
    service.hash_cache = dir_ / "hashes.json";
    service_ = std::make_unique<server::ApiService>(std::move(service));
  }

  std::filesystem::path library() const { return dir_ / "library"; }
  std::filesystem::path outputs() const { return dir_ / "outputs"; }
  server::ModelCatalog& catalog() { return service_->catalog(); }
  int port() const { return service_->port(); }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(300, 0);
    return client;
  }

 private:
  TempDir dir_;
  std::unique_ptr<server::ApiService> service_;
};

// A txt2img body that runs in a moment on the tiny model.
inline const nlohmann::json kSmallTxt2img = {{"prompt", "a lighthouse"}, {"steps", 1}, {"width", 64}, {"height", 64}, {"seed", 7}};

// An answer: its status and its body as JSON (null when the body is not JSON).
struct Reply {
  int status = 0;
  nlohmann::json body;
};

inline Reply reply_of(const httplib::Result& result) {
  if (!result) return {-1, nullptr};
  return {result->status, nlohmann::json::parse(result->body, nullptr, false)};
}

inline Reply post(const TestServer& server, const std::string& path, const nlohmann::json& body) {
  return reply_of(server.client().Post(path.c_str(), body.dump(), "application/json"));
}

inline Reply get(const TestServer& server, const std::string& path) { return reply_of(server.client().Get(path.c_str())); }

// tests/data/upscalers/FILE put in the server's library (Atelier's upscalers/ folder) and the
// library scanned again, as an artist adding a model and pressing refresh would; its path there.
inline std::filesystem::path add_library_upscaler(TestServer& server, const std::string& file) {
  const auto folder = server.library() / "upscalers";
  std::filesystem::create_directories(folder);
  std::filesystem::create_symlink(data_path("upscalers/" + file), folder / file);
  REQUIRE(post(server, "/sdapi/v1/refresh-checkpoints", nlohmann::json::object()).status == 200);
  return folder / file;
}

// The pixels of a base64 PNG the API sent, and the file it was written to for other readers.
inline Image8 decode_png(const std::string& base64, const std::filesystem::path& file) {
  const auto bytes = server::base64_decode(base64);
  if (!bytes) throw std::runtime_error("the API sent invalid base64");
  write_bytes(file, *bytes);
  return load_image(file);
}

}  // namespace atelier::test
