#pragma once
// Our own `atelier` PNG text chunk: the complete GenerationParams as versioned JSON, so a
// re-run gets back exactly what ran, plus where and how long it ran.
//
//   {"format": "atelier", "version": 1, "prompt": "...", "steps": 20, ...,
//    "run": {"device": "cuda:0", "dtype": "Half", "elapsed_seconds": 3.2}}
#include <optional>
#include <string>
#include <string_view>

#include "core/pipeline/generation_params.h"

namespace atelier {

// The PNG text keyword of our chunk.
inline constexpr std::string_view kAtelierChunkKeyword = "atelier";

// Where and how a generation ran: recorded, never fed back into a re-run.
struct RunInfo {
  std::string device;  // "cpu", "cuda:0"
  std::string dtype;   // "Float", "Half"
  double elapsed_seconds = 0;

  friend bool operator==(const RunInfo&, const RunInfo&) = default;
};

// The RunInfo of a generation that ran on `target` for `elapsed_seconds`.
RunInfo make_run_info(const ExecutionTarget& target, double elapsed_seconds);

struct AtelierRecord {
  GenerationParams params;
  std::optional<RunInfo> run;
};

// Every field of `params` with snake_case keys; numbers exactly (doubles round-trip), names as
// their labels ("Euler a", "Just resize", "cpu"). Invalid UTF-8 in paths or prompts is replaced.
std::string format_params_json(const GenerationParams& params, const std::optional<RunInfo>& run = std::nullopt);

// Reads what format_params_json wrote. Absent keys keep GenerationParams' defaults (so later
// versions may add keys); throws FormatError for malformed JSON, another format, a newer version
// or a value of the wrong type.
AtelierRecord parse_params_json(std::string_view json);

}  // namespace atelier
