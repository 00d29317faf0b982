#include "app/cli_interrupt.h"

#include <csignal>

namespace atelier::cli {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) { interrupted = true; }

}  // namespace

const std::atomic<bool>& catch_interrupt() {
  std::signal(SIGINT, on_interrupt);
  return interrupted;
}

}  // namespace atelier::cli
