#pragma once
// The endpoints of A1111's /sdapi/v1 that Atelier serves, as JSON in, JSON out: what each
// answers, not how HTTP carries it (http_server.h). The route table is also what
// /openapi.json lists.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/job_runner.h"
#include "server/model_catalog.h"
#include "server/server_options.h"

namespace atelier::server {

struct ApiCall {
  nlohmann::json body;                        // null for a GET
  std::map<std::string, std::string> query;  // ?key=value
};

struct Route {
  std::string method;  // "GET" or "POST"
  std::string path;    // "/sdapi/v1/txt2img"
  std::string summary;
  std::function<nlohmann::json(const ApiCall&)> handler;  // throws ApiError for a 4xx answer
};

class ApiRoutes {
 public:
  // `output_root`: where save_images writes (one folder a day), never a path from a request.
  ApiRoutes(ModelCatalog& catalog, JobRunner& runner, ServerOptions options, std::filesystem::path output_root);

  const std::vector<Route>& routes() const { return routes_; }
  nlohmann::json openapi() const;  // the OpenAPI document of routes()

  nlohmann::json generate(RequestKind kind, const nlohmann::json& body);
  nlohmann::json png_info(const nlohmann::json& body);
  nlohmann::json extras_single_image(const nlohmann::json& body);
  nlohmann::json progress(const ApiCall& call);
  nlohmann::json options();
  nlohmann::json set_options(const nlohmann::json& body);
  nlohmann::json sd_models();
  nlohmann::json embeddings();

 private:
  ServerOptions current_options();
  // After a job: the checkpoint's title now has its hash; override_settings kept when asked.
  void update_options(const GenerationRequest& request, const GenerationOutcome& outcome);

  ModelCatalog& catalog_;
  JobRunner& runner_;
  std::filesystem::path output_root_;
  std::mutex options_mutex_;
  ServerOptions options_;
  std::vector<Route> routes_;
};

}  // namespace atelier::server
