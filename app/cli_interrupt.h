#pragma once
// Ctrl-C for the commands that stop cleanly (generate, models pull): SIGINT only sets a flag that
// their progress callbacks read, so the work in progress ends as a cancel, never half-written.
#include <atomic>

namespace atelier::cli {

// Installs the SIGINT handler; the flag it sets from then on.
const std::atomic<bool>& catch_interrupt();

}  // namespace atelier::cli
