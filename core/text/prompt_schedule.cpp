#include "core/text/prompt_schedule.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/text/python_float.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

// The parse, flattened so that neither parsing nor rendering recurses: a group's branches are
// consecutive ranges of items after its own item.
struct Item {
  enum class Kind { Text, Scheduled, Alternate };
  Kind kind = Kind::Text;
  std::size_t start = 0, length = 0;  // Text: a slice of the prompt; Scheduled: its NUMBER
  double when = 0;                    // Scheduled: `to` from the step after this one
  // Scheduled (before, after) and Alternate (options): branch k is items [bounds[k], bounds[k + 1]);
  // bounds.back() is where the group ends.
  std::vector<std::size_t> bounds;
};

bool is_special(char32_t c) { return std::u32string_view(U"\\[]():|").find(c) != std::u32string_view::npos; }

// lark's SIGNED_NUMBER at `i` as Python's re matches it (first alternative that fits):
// INT exp | (INT "." INT? | "." INT) exp? | INT. Returns its length, 0 where none matches.
std::size_t match_number(std::u32string_view text, std::size_t i) {
  auto digits = [&](std::size_t at) {
    std::size_t end = at;
    while (end < text.size() && text[end] >= U'0' && text[end] <= U'9') ++end;
    return end - at;
  };
  auto exponent = [&](std::size_t at) -> std::size_t {
    if (at >= text.size() || (text[at] != U'e' && text[at] != U'E')) return 0;
    std::size_t sign = at + 1 < text.size() && (text[at + 1] == U'+' || text[at + 1] == U'-') ? 1 : 0;
    std::size_t count = digits(at + 1 + sign);
    return count > 0 ? 1 + sign + count : 0;
  };
  std::size_t start = i;
  if (i < text.size() && (text[i] == U'+' || text[i] == U'-')) ++i;
  std::size_t whole = digits(i);
  if (whole > 0 && exponent(i + whole) > 0) return i + whole + exponent(i + whole) - start;
  bool point = i + whole < text.size() && text[i + whole] == U'.';
  std::size_t fraction = point ? digits(i + whole + 1) : 0;
  if (point && (whole > 0 || fraction > 0)) {
    std::size_t end = i + whole + 1 + fraction;
    return end + exponent(end) - start;
  }
  return whole > 0 ? i + whole - start : 0;
}

struct When {
  std::size_t number, number_length;
  std::size_t end;  // just past the closing ']'
};

// `[WHITESPACE] NUMBER [WHITESPACE] "]"` from `i`, the end of a scheduled group.
std::optional<When> match_when(std::u32string_view text, std::size_t i) {
  while (i < text.size() && unicode::is_space(text[i])) ++i;
  std::size_t length = match_number(text, i);
  if (length == 0) return std::nullopt;
  std::size_t end = i + length;
  while (end < text.size() && unicode::is_space(text[end])) ++end;
  if (end == text.size() || text[end] != U']') return std::nullopt;
  return When{i, length, end + 1};
}

// What A1111's lark grammar makes of a prompt: plain text, emphasis groups `(p)`, `(p:p)`, `[p]`,
// scheduled `[p:p:N]`, `[p:N]` and alternates `[p|p|...]`, and stray `[ ] ( ) :` between them.
// Every group that parses is kept, the outermost first. Where lark's parse is ambiguous (a group
// directly followed by a stray bracket or colon) that is one of its choices; which one lark makes
// depends on the order of a Python set, so on the hash seed.
class ScheduleParser {
 public:
  explicit ScheduleParser(std::u32string_view text) : text_(text), failed_(text.size(), false) {}

  // Empty where the grammar rejects the prompt.
  std::optional<std::vector<Item>> parse() {
    std::size_t i = 0;
    while (i < text_.size() || !frames_.empty()) {
      if (i == text_.size()) {
        i = fail();
        continue;
      }
      char32_t c = text_[i];
      if (!is_special(c) || c == U'\\') {
        std::size_t end = plain_end(i);
        if (end == i) return std::nullopt;  // a '\' that ends the prompt or a line escapes nothing
        push_text(i, end - i);
        i = end;
      } else if ((c == U'(' || c == U'[') && !failed_[i]) {
        frames_.push_back({i, c, Stage::First, items_.size(), {}});
        push_text(i, 1);  // becomes the group's item unless it stays emphasis
        ++i;
      } else if (frames_.empty()) {
        if (c == U'|') return std::nullopt;  // only an alternate takes a '|'
        push_text(i, 1);
        ++i;
      } else {
        std::optional<std::size_t> next = advance(i);
        i = next ? *next : fail();
      }
    }
    return std::move(items_);
  }

 private:
  enum class Stage {
    First,         // in the first prompt
    Second,        // after ':' in `(p:p)` or in `[p:p:N]`
    Alternatives,  // after a '|'
  };

  struct Frame {
    std::size_t open;     // position of the bracket
    char32_t bracket;     // '(' or '['
    Stage stage;
    std::size_t item;     // index of the group's item; its branches follow
    std::vector<std::size_t> bounds;
  };

  // A run of plain characters and `\x` escapes (any x but a newline).
  std::size_t plain_end(std::size_t i) const {
    while (i < text_.size()) {
      if (text_[i] == U'\\') {
        if (i + 1 == text_.size() || text_[i + 1] == U'\n') break;
        i += 2;
      } else if (!is_special(text_[i])) {
        ++i;
      } else {
        break;
      }
    }
    return i;
  }

  void push_text(std::size_t start, std::size_t length) {
    Item item;
    item.start = start;
    item.length = length;
    items_.push_back(std::move(item));
  }

  // Takes the closer, ':' or '|' at `i` into the innermost group. Returns where to go on, or
  // nothing where the group cannot go on.
  std::optional<std::size_t> advance(std::size_t i) {
    Frame& frame = frames_.back();
    char32_t c = text_[i];
    if (frame.bracket == U'(') {
      if (c == U':' && frame.stage == Stage::First) {
        frame.stage = Stage::Second;
        push_text(i, 1);
        return i + 1;
      }
      if (c != U')') return std::nullopt;
      push_text(i, 1);
      frames_.pop_back();
      return i + 1;
    }
    if (c == U']' && frame.stage == Stage::First) {
      push_text(i, 1);
      frames_.pop_back();
      return i + 1;
    }
    if (c == U']' && frame.stage == Stage::Alternatives) {
      close(Item::Kind::Alternate);
      return i + 1;
    }
    if (c == U'|' && frame.stage != Stage::Second) {
      frame.stage = Stage::Alternatives;
      frame.bounds.push_back(items_.size());
      return i + 1;
    }
    if (c != U':' || frame.stage == Stage::Alternatives) return std::nullopt;
    std::optional<When> when = match_when(text_, i + 1);
    if (frame.stage == Stage::First && !when) {
      // `[from:to:N]`: the first prompt is `from`.
      frame.stage = Stage::Second;
      frame.bounds.push_back(items_.size());
      return i + 1;
    }
    if (!when) return std::nullopt;
    if (frame.stage == Stage::First) frame.bounds.push_back(frame.item + 1);  // `[to:N]`: no `from`
    Item& item = close(Item::Kind::Scheduled);
    item.start = when->number;
    item.length = when->number_length;
    return when->end;
  }

  // Turns the innermost group's item into a scheduled or alternate item over the items after it.
  Item& close(Item::Kind kind) {
    Frame& frame = frames_.back();
    Item& item = items_[frame.item];
    item.kind = kind;
    item.bounds.push_back(frame.item + 1);
    item.bounds.insert(item.bounds.end(), frame.bounds.begin(), frame.bounds.end());
    item.bounds.push_back(items_.size());
    frames_.pop_back();
    return item;
  }

  // A group that cannot close fails, and so do all around it (their prompts cannot hold its
  // bracket). The outermost bracket is then plain text and parsing goes on after it.
  std::size_t fail() {
    for (const Frame& frame : frames_) failed_[frame.open] = true;
    std::size_t open = frames_.front().open;
    items_.resize(frames_.front().item);
    frames_.clear();
    push_text(open, 1);
    return open + 1;
  }

  std::u32string_view text_;
  std::vector<bool> failed_;  // brackets whose group is known not to parse
  std::vector<Frame> frames_;
  std::vector<Item> items_;
};

// How A1111's collect_steps reads `when`.
struct StepRule {
  int steps;                   // of the pass the schedule spans
  double int_offset = 0;       // steps before that pass, for a step number
  double fraction_offset = 0;  // the same as a fraction
  bool use_old_scheduling = false;

  // The step after which `to` replaces `from`.
  double when(std::string_view number) const {
    double value = python_float(number);
    if (use_old_scheduling) {
      if (value < 1) value *= steps;
    } else if (number.find('.') != std::string_view::npos) {
      value = (value - fraction_offset) * steps;
    } else {
      value -= int_offset;
    }
    if (!std::isfinite(value)) {  // Python's int() fails on it
      throw InvalidArgument("prompt editing step \"" + std::string(number) + "\" is out of range");
    }
    return std::min(static_cast<double>(steps), std::trunc(value));
  }
};

// A1111's AtStep: the text at `step`, each group taking one branch.
std::u32string render(std::u32string_view text, const std::vector<Item>& items, int step) {
  std::u32string out;
  std::vector<std::pair<std::size_t, std::size_t>> returns;  // (branch end, group end)
  std::size_t i = 0;
  while (true) {
    if (!returns.empty() && i == returns.back().first) {
      i = returns.back().second;
      returns.pop_back();
      continue;
    }
    if (i == items.size()) break;
    const Item& item = items[i];
    if (item.kind == Item::Kind::Text) {
      out += text.substr(item.start, item.length);
      ++i;
      continue;
    }
    std::size_t branch = 0;
    if (item.kind == Item::Kind::Scheduled) {
      branch = step <= item.when ? 0 : 1;
    } else {
      long long options = static_cast<long long>(item.bounds.size()) - 1;
      branch = static_cast<std::size_t>(((step - 1LL) % options + options) % options);  // Python's %
    }
    returns.emplace_back(item.bounds[branch + 1], item.bounds.back());
    i = item.bounds[branch];
  }
  return out;
}

}  // namespace

std::vector<ScheduledPrompt> prompt_schedule(std::string_view prompt, int steps, const ScheduleOptions& options) {
  StepRule rule{steps, 0, 0, options.use_old_scheduling};
  if (options.hires_steps && !options.use_old_scheduling) rule = {*options.hires_steps, double(steps), 1.0, false};

  const std::u32string text = unicode::decode_utf8(prompt);
  std::optional<std::vector<Item>> items = ScheduleParser(text).parse();
  if (!items) return {{rule.steps, std::string(prompt)}};

  std::set<int> ends{rule.steps};
  bool alternates = false;
  for (Item& item : *items) {
    if (item.kind == Item::Kind::Scheduled) {
      const std::u32string_view number = std::u32string_view(text).substr(item.start, item.length);
      item.when = rule.when(std::string(number.begin(), number.end()));
      if (item.when >= 1) ends.insert(static_cast<int>(item.when));
    }
    alternates = alternates || item.kind == Item::Kind::Alternate;
  }
  if (alternates) {
    for (int step = 1; step <= rule.steps; ++step) ends.insert(step);
  }
  std::vector<ScheduledPrompt> schedule;
  for (int end : ends) schedule.push_back({end, unicode::encode_utf8(render(text, *items, end))});
  return schedule;
}

std::size_t schedule_index_at(const std::vector<ScheduledPrompt>& schedule, int step) {
  auto it = std::find_if(schedule.begin(), schedule.end(), [step](const ScheduledPrompt& entry) {
    return step <= entry.end_step;
  });
  return it == schedule.end() ? 0 : static_cast<std::size_t>(it - schedule.begin());
}

}  // namespace atelier
