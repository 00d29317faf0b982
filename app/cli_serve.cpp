#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>

#include "app/cli_commands.h"
#include "app/cli_library.h"
#include "core/error.h"
#include "core/gallery/output_folder.h"
#include "server/api_service.h"

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
  ApiServiceConfig config;
  HttpConfig& http = config.http;
  http.host = args.value_or("host", http.host);
  http.port = args.int_value_or("port", http.port);
  read_auth(args, http);
  config.roots = library_roots(args);
  config.model = args.value("model");
  config.output = args.value_or("output-dir", default_output_folder().string());
  config.device = parse_device_choice(args.value_or("device", "auto"));
  config.memory = args.flag("low-memory") ? MemoryMode::Low : MemoryMode::Standard;
  args.reject_unknown();
  if (!args.positionals().empty()) throw InvalidArgument("unexpected argument '" + args.positionals()[0] + "'");

  if (::pipe(stop_pipe) != 0) throw Error("cannot create a pipe for the stop signals");
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);

  ApiService service(std::move(config));
  if (service.checkpoint().empty())
    std::cerr << "atelier-cli serve: warning: the model library has no checkpoint; generations will fail until one is added "
                 "(then POST /sdapi/v1/refresh-checkpoints) or --model is given\n";
  std::cout << "Atelier's A1111 API at " << service.base_url() << "/sdapi/v1/ (checkpoint: "
            << (service.checkpoint().empty() ? "none" : service.checkpoint()) << ")" << std::endl;
  wait_for_stop();
  service.stop();
  return 0;
}

}  // namespace atelier::cli
