#pragma once
// The HTTP side of the API (cpp-httplib): routes, HTTP Basic auth, body size limit, and the
// error shapes A1111's FastAPI app answers with.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "server/api_routes.h"

namespace httplib {
class Server;
}

namespace atelier::server {

struct HttpConfig {
  std::string host = "127.0.0.1";
  int port = 7860;  // 0: any free port (bind() tells which)
  // --api-auth USER:PASS; without it no Authorization header is looked at.
  std::optional<std::string> user, password;
  std::size_t max_body_bytes = std::size_t{64} << 20;  // 413 beyond
  int threads = 32;  // connections served at once: generations wait in one while pollers use others
};

// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class HttpServer {
 public:
  HttpServer(ApiRoutes& routes, HttpConfig config);
  ~HttpServer();

  // Binds the socket; returns the port. Error naming host and port when it cannot.
  int bind();
  // Serves until stop() (from another thread).
  void listen();
  // Returns once listen() has begun (a stop() before then would be lost), or after 10 s.
  void wait_until_listening() const;
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  HttpConfig config_;
};

}  // namespace atelier::server
