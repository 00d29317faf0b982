#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <thread>

#include "app/cli_commands.h"
#include "app/cli_library.h"
#include "core/error.h"
#include "core/gallery/output_folder.h"
#include "server/api_routes.h"
#include "server/http_server.h"
#include "server/job_runner.h"
#include "server/model_catalog.h"

namespace atelier::cli {
namespace {

using namespace atelier::server;

void read_auth(CommandLine& args, HttpConfig& http) {
  const auto auth = args.value("api-auth");
  if (!auth) return;
  const auto colon = auth->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == auth->size())
    throw InvalidArgument("--api-auth: expected USER:PASSWORD");
  http.user = auth->substr(0, colon);
  http.password = auth->substr(colon + 1);
}

// SIGINT and SIGTERM may land on any thread (LibTorch's included): the handler only writes a
// byte to this pipe, which the stopping thread waits on.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(stop_pipe[1], &byte, 1);
}

void wait_for_stop() {
  char byte = 0;
  while (::read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
}

}  // namespace

int run_serve(CommandLine& args) {
  HttpConfig http;
  http.host = args.value_or("host", http.host);
  http.port = args.int_value_or("port", http.port);
  read_auth(args, http);
  const auto roots = library_roots(args);
  const auto model = args.value("model");
  const std::filesystem::path output = args.value_or("output-dir", default_output_folder().string());
  const auto device = parse_device_choice(args.value_or("device", "auto"));
  const auto memory = args.flag("low-memory") ? MemoryMode::Low : MemoryMode::Standard;
  args.reject_unknown();
  if (!args.positionals().empty()) throw InvalidArgument("unexpected argument '" + args.positionals()[0] + "'");
  if (http.port < 0 || http.port > 65535) throw InvalidArgument("--port: expected 0 to 65535");
  // Off loopback anyone on the network could run jobs and read the model list.
  if (!is_loopback_host(http.host) && !http.user)
    throw InvalidArgument("--host " + http.host + " is reachable from other machines: give --api-auth USER:PASSWORD too");

  if (::pipe(stop_pipe) != 0) throw Error("cannot create a pipe for the stop signals");
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);

  ModelCatalog catalog(roots);
  ServerOptions options;
  if (model) {
    options.sd_model_checkpoint = catalog.add_startup_model(*model).title;
  } else if (const auto checkpoints = catalog.checkpoints(); !checkpoints.empty()) {
    options.sd_model_checkpoint = checkpoints.front().title;
  }
  if (options.sd_model_checkpoint.empty())
    std::cerr << "atelier-cli serve: warning: the model library has no checkpoint; generations will fail until one is added "
                 "(then POST /sdapi/v1/refresh-checkpoints) or --model is given\n";
  JobRunner runner(catalog, device, memory);
  ApiRoutes routes(catalog, runner, options, output);
  HttpServer server(routes, http);
  const int port = server.bind();
  std::thread stopper([&] {
    wait_for_stop();
    runner.shutdown();  // the requests waiting for a generation are answered at once
    server.stop();
  });
  std::cout << "Atelier's A1111 API at http://" << (http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host)
            << ":" << port << "/sdapi/v1/ (checkpoint: "
            << (options.sd_model_checkpoint.empty() ? "none" : options.sd_model_checkpoint) << ")" << std::endl;
  server.listen();
  on_stop_signal(0);  // when listen() ended otherwise
  stopper.join();
  return 0;
}

}  // namespace atelier::cli
