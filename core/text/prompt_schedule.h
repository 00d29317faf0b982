#pragma once
// A1111's prompt editing `[from:to:when]` and alternation `[a|b]` (modules/prompt_parser.py,
// get_learned_conditioning_prompt_schedules): which prompt text conditions which sampling steps.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

// `text` is the prompt at the steps after the previous entry's end_step up to this one, counting
// from 1. end_step rises strictly and the last is the step count; equal texts are not merged.
// A1111's denoiser looks entries up with its own counter, from 0: see schedule_index_at.
struct ScheduledPrompt {
  int end_step;
  std::string text;
  bool operator==(const ScheduledPrompt&) const = default;
};

struct ScheduleOptions {
  // The hires pass's step count: `when` then counts on from the base steps (12 of base 10 is the
  // hires pass's step 2, 1.5 is its half) and the schedule spans the hires steps.
  std::optional<int> hires_steps;
  // A1111's "use old prompt editing timelines": `when` < 1 is a fraction, else a step; no hires.
  bool use_old_scheduling = false;
};

// The schedule of one prompt (split off AND first). `when` with a '.' is a fraction of the steps,
// without one a step number; it is truncated, capped at the steps, and a result below 1 means
// `to` from the start. Where A1111's grammar rejects the prompt (a `|` outside an alternation, a
// `\` with nothing to escape), the schedule is {{steps, prompt}}. Escapes stay escaped, and `[x]`,
// `(x)`, `(x:1.2)` and malformed groups stay in the text for the emphasis parser. Where A1111's
// answer hangs on Python's hash seed (a group followed by a stray bracket or colon, `[a:3]]`),
// the group is edited.
// Throws InvalidArgument where `when` overflows a double (`[a:1e999]`), as A1111 fails.
std::vector<ScheduledPrompt> prompt_schedule(std::string_view prompt, int steps, const ScheduleOptions& options = {});

// The entry A1111's denoiser uses at sampler step `step` (counted from 0): the first whose end_step
// is at least `step`, or the first entry past the end.
std::size_t schedule_index_at(const std::vector<ScheduledPrompt>& schedule, int step);

}  // namespace atelier
