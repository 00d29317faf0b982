#include "server/http_server.h"

#include <arpa/inet.h>
#include <c10/util/Exception.h>
#include <httplib.h>

#include <chrono>
#include <set>
#include <thread>

#include "core/error.h"
#include "server/api_error.h"
#include "server/base64.h"

namespace atelier::server {
namespace {

using nlohmann::json;

// A1111's api_middleware handle_exception: the exception's name, HTTPException's detail, its text.
json error_body(int status, const std::string& name, const std::string& message) {
  return {{"error", name}, {"detail", message}, {"body", ""}, {"errors", std::to_string(status) + ": " + message}};
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// FastAPI's RequestValidationError answer.
void send_validation_error(httplib::Response& res, const std::string& field, const std::string& message) {
  send(res, 422, {{"detail", json::array({{{"loc", {"body", field}}, {"msg", message}, {"type", "value_error"}}})}});
}

// Every failure becomes an answer: 4xx for the request's faults, 500 for the generation's.
void send_exception(httplib::Response& res, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const FieldError& e) {
    send_validation_error(res, e.field(), e.what());
  } catch (const ApiError& e) {
    send(res, e.status(), error_body(e.status(), "HTTPException", e.what()));
  } catch (const InvalidArgument& e) {
    send(res, 422, error_body(422, "HTTPException", e.what()));
  } catch (const c10::Error& e) {
    send(res, 500, error_body(500, "RuntimeError", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    send(res, 500, error_body(500, "OutOfMemoryError", "out of memory"));
  } catch (const Error& e) {
    send(res, 500, error_body(500, "RuntimeError", e.what()));
  } catch (const std::exception& e) {
    send(res, 500, error_body(500, "RuntimeError", e.what()));
  } catch (...) {
    send(res, 500, error_body(500, "RuntimeError", "unknown error"));
  }
}

// Compares all of both strings whatever they hold, so the time taken tells nothing of the secret.
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

// Whether `header` ("Basic base64(user:password)") carries the configured credentials.
bool authorized(const HttpConfig& config, const std::string& header) {
  if (!header.starts_with("Basic ")) return false;
  const auto decoded = base64_decode(header.substr(6));
  if (!decoded) return false;
  const std::string credentials(decoded->begin(), decoded->end());
  const auto colon = credentials.find(':');
  if (colon == std::string::npos) return false;
  // Both compared in full: no early exit on a wrong user name.
  const bool user = constant_time_equal(credentials.substr(0, colon), *config.user);
  const bool password = constant_time_equal(credentials.substr(colon + 1), *config.password);
  return user && password;
}

std::map<std::string, std::string> query_of(const httplib::Request& req) {
  std::map<std::string, std::string> query;
  for (const auto& [key, value] : req.params) query[key] = value;
  return query;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

HttpServer::HttpServer(ApiRoutes& routes, HttpConfig config)
    : server_(std::make_unique<httplib::Server>()), config_(std::move(config)) {
  auto& server = *server_;
  const int threads = config_.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(config_.max_body_bytes);
  server.set_keep_alive_timeout(2);

  if (config_.user) {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (authorized(config_, req.get_header_value("Authorization"))) return httplib::Server::HandlerResponse::Unhandled;
      const std::string detail = req.has_header("Authorization") ? "Incorrect username or password" : "Not authenticated";
      send(res, 401, error_body(401, "HTTPException", detail));
      res.set_header("WWW-Authenticate", "Basic");
      return httplib::Server::HandlerResponse::Handled;
    });
  }

  std::map<std::string, std::set<std::string>> methods;
  for (const auto& route : routes.routes()) {
    methods[route.path].insert(route.method);
    auto handler = [&route](const httplib::Request& req, httplib::Response& res) {
      try {
        ApiCall call{json(), query_of(req)};
        if (route.method == "POST" && !req.body.empty()) {
          try {
            call.body = json::parse(req.body);
          } catch (const json::parse_error& e) {
            send_validation_error(res, "body", std::string("malformed JSON: ") + e.what());
            return;
          }
        }
        send(res, 200, route.handler(call));
      } catch (...) {
        send_exception(res, std::current_exception());
      }
    };
    if (route.method == "GET") server.Get(route.path, handler);
    else server.Post(route.path, handler);
  }
  const auto openapi = routes.openapi();
  server.Get("/openapi.json", [openapi](const httplib::Request&, httplib::Response& res) { send(res, 200, openapi); });
  methods["/openapi.json"].insert("GET");
  // FastAPI answers a known path asked with another method 405.
  for (const auto& [path, allowed] : methods) {
    auto refuse = [](const httplib::Request&, httplib::Response& res) { send(res, 405, {{"detail", "Method Not Allowed"}}); };
    if (!allowed.contains("GET")) server.Get(path, refuse);
    if (!allowed.contains("POST")) server.Post(path, refuse);
  }
  // What httplib answers itself (no route, body too large) in FastAPI's words.
  server.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send(res, 404, {{"detail", "Not Found"}});
    else if (res.status == 413)
      send(res, 413, error_body(413, "HTTPException", "request body larger than " + std::to_string(config_.max_body_bytes >> 20) + " MiB"));
    else send(res, res.status, {{"detail", res.status == 400 ? "Bad Request" : res.status < 500 ? "Client Error" : "Server Error"}});
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    send_exception(res, error);
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  const int port = config_.port == 0 ? server_->bind_to_any_port(config_.host) : config_.port;
  if (port <= 0 || (config_.port != 0 && !server_->bind_to_port(config_.host, config_.port)))
    throw Error("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                " (in use, or not an address of this machine)");
  return port;
}

void HttpServer::listen() { server_->listen_after_bind(); }

void HttpServer::wait_until_listening() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() { server_->stop(); }

}  // namespace atelier::server
