#include "server/api_service.h"

#include "core/error.h"
#include "server/api_routes.h"
#include "server/job_runner.h"
#include "server/model_catalog.h"

namespace atelier::server {

ApiService::ApiService(ApiServiceConfig config, PipelineHost* host) : config_(std::move(config)) {
  const HttpConfig& http = config_.http;
  if (http.port < 0 || http.port > 65535) throw InvalidArgument("port " + std::to_string(http.port) + ": expected 0 to 65535");
  // Off loopback anyone on the network could run jobs and read the model list.
  if (!is_loopback_host(http.host) && !http.user)
    throw InvalidArgument("--host " + http.host + " is reachable from other machines: give --api-auth USER:PASSWORD too");
  if (!host) host = (own_host_ = std::make_unique<OwnPipelineHost>()).get();
  catalog_ = std::make_unique<ModelCatalog>(config_.roots, config_.hash_cache);
  ServerOptions options;
  if (config_.model) {
    options.sd_model_checkpoint = catalog_->add_startup_model(*config_.model).title;
  } else if (const auto checkpoints = catalog_->checkpoints(); !checkpoints.empty()) {
    options.sd_model_checkpoint = checkpoints.front().title;
  }
  checkpoint_ = options.sd_model_checkpoint;
  runner_ = std::make_unique<JobRunner>(*catalog_, *host, config_.device, config_.memory);
  routes_ = std::make_unique<ApiRoutes>(*catalog_, *runner_, options, config_.output);
  http_ = std::make_unique<HttpServer>(*routes_, http);
  port_ = http_->bind();
  listener_ = std::thread([this] { http_->listen(); });
  http_->wait_until_listening();
}

ApiService::~ApiService() { stop(); }

void ApiService::stop() {
  if (!listener_.joinable()) return;
  runner_->shutdown();  // the requests waiting for a generation are answered at once
  http_->stop();
  listener_.join();
}

std::string ApiService::base_url() const {
  const std::string& host = config_.http.host;
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port_);
}

std::string ApiService::checkpoint() const { return checkpoint_; }

}  // namespace atelier::server
