#pragma once
// The whole API server: the model catalog, the job runner, the routes and the HTTP side, serving
// on a thread of its own from construction to stop(). atelier-cli serve runs one with a pipeline
// host of its own; the studio's switch runs one on the studio's queue (one queue, one model).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/gallery/model_hash_cache.h"
#include "core/pipeline/pipeline_host.h"
#include "server/http_server.h"

namespace atelier::server {

class ApiRoutes;
class JobRunner;
class ModelCatalog;

struct ApiServiceConfig {
  HttpConfig http;
  std::vector<std::filesystem::path> roots;  // the model library; empty: the studio's
  std::optional<std::string> model;           // --model: the default checkpoint (a path or a library name)
  std::filesystem::path output;               // where save_images writes, a folder a day
  DeviceChoice device = DeviceChoice::Auto;
  MemoryMode memory{};  // MemoryMode::Standard
  std::filesystem::path hash_cache = ModelHashCache::default_file();
};

class ApiService {
 public:
  // Refuses a host off loopback without auth (InvalidArgument), binds the socket (Error naming
  // host and port when it cannot) and serves. `host`: where the jobs run; null: a host of its own.
  explicit ApiService(ApiServiceConfig config, PipelineHost* host = nullptr);
  ~ApiService();  // stop()
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  int port() const { return port_; }
  std::string base_url() const;      // "http://127.0.0.1:7860"
  std::string checkpoint() const;    // the default checkpoint's title; "" when the library has none
  ModelCatalog& catalog() { return *catalog_; }

  // The waiting requests are answered 503 and the running one is interrupted, then the socket
  // closes. Idempotent.
  void stop();

 private:
  ApiServiceConfig config_;
  std::unique_ptr<OwnPipelineHost> own_host_;
  std::unique_ptr<ModelCatalog> catalog_;
  std::string checkpoint_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<ApiRoutes> routes_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::thread listener_;
};

}  // namespace atelier::server
