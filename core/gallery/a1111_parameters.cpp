#include "core/gallery/a1111_parameters.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

// The parser reads code points and classifies them as Python does (unicode::is_word is re's \w,
// unicode::is_space re's \s and str.strip()'s), so it splits a line exactly where A1111 does.
using unicode::is_space;
using unicode::is_word;

constexpr std::u32string_view kNegativePromptPrefix = U"Negative prompt:";

bool is_key_char(char32_t c) { return is_word(c) || c == U' ' || c == U'-' || c == U'/'; }

std::u32string_view strip(std::u32string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// A key A1111's pattern reads whole: \w[\w \-/]+
bool is_valid_key(std::u32string_view key) {
  return key.size() >= 2 && is_word(key.front()) && std::all_of(key.begin(), key.end(), is_key_char);
}

// A1111's quote() makes values with ',', ':' or a newline JSON strings. Quoted here as well are
// the values its parser would alter when plain (an empty one is dropped, surrounding spaces are
// trimmed, a leading '"' is taken for quoting); quoted, it reads them back unchanged.
std::string quote(const std::string& value) {
  const std::u32string text = unicode::decode_utf8(value);
  const bool plain = !text.empty() && text.find_first_of(U",:\n") == std::u32string::npos && !is_space(text.front()) &&
                     !is_space(text.back()) && text.front() != U'"';
  if (plain) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A1111's unquote(): a value in double quotes read as a JSON string, kept as it is when that fails.
std::string unquote(std::u32string_view value) {
  const std::string text = unicode::encode_utf8(value);
  if (value.front() != U'"' || value.back() != U'"') return text;
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_string() ? parsed.get<std::string>() : text;
}

struct Setting {
  std::u32string_view key;
  std::u32string_view value;
  std::size_t end;  // where the next match may begin
};

// The end of a JSON-style string starting at `begin` ("(?:\\.|[^\\"])+"), or npos.
std::size_t quoted_end(std::u32string_view line, std::size_t begin) {
  if (begin == line.size() || line[begin] != U'"') return std::u32string_view::npos;
  for (std::size_t pos = begin + 1; pos < line.size(); ++pos) {
    if (line[pos] == U'"') return pos > begin + 1 ? pos + 1 : std::u32string_view::npos;
    if (line[pos] == U'\\') ++pos;
  }
  return std::u32string_view::npos;
}

// One match at `begin` of A1111's re_param: \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
std::optional<Setting> match_setting(std::u32string_view line, std::size_t begin) {
  std::size_t pos = begin;
  while (pos < line.size() && is_space(line[pos])) ++pos;
  const std::size_t key_begin = pos;
  while (pos < line.size() && is_key_char(line[pos])) ++pos;
  const std::u32string_view key = line.substr(key_begin, pos - key_begin);
  if (!is_valid_key(key) || pos == line.size() || line[pos] != U':') return std::nullopt;

  ++pos;
  while (pos < line.size() && is_space(line[pos])) ++pos;
  std::size_t value_end = quoted_end(line, pos);
  if (value_end == std::u32string_view::npos || (value_end < line.size() && line[value_end] != U',')) {
    value_end = std::min(line.find(U',', pos), line.size());
  }
  return Setting{key, line.substr(pos, value_end - pos), std::min(value_end + 1, line.size())};
}

// re.findall(re_param, line): matches left to right, each search resuming after the last match.
std::vector<Setting> find_settings(std::u32string_view line) {
  std::vector<Setting> settings;
  for (std::size_t pos = 0; pos < line.size();) {
    if (std::optional<Setting> setting = match_setting(line, pos)) {
      settings.push_back(*setting);
      pos = setting->end;
    } else {
      // Every start inside a run of key characters not followed by ':' fails where this one did,
      // so skip the run: a long line without settings stays linear, not quadratic.
      std::size_t end = pos;
      while (end < line.size() && (is_space(line[end]) || is_key_char(line[end]))) ++end;
      pos = end < line.size() && line[end] == U':' ? pos + 1 : std::max(end, pos + 1);
    }
  }
  return settings;
}

std::vector<std::u32string_view> split_lines(std::u32string_view text) {
  std::vector<std::u32string_view> lines;
  for (std::size_t begin = 0;;) {
    const std::size_t end = text.find(U'\n', begin);
    lines.push_back(text.substr(begin, end - begin));
    if (end == std::u32string_view::npos) return lines;
    begin = end + 1;
  }
}

}  // namespace

std::string format_a1111_parameters(const A1111Parameters& parameters) {
  std::string settings;
  for (const auto& [key, value] : parameters.fields) {
    if (!is_valid_key(unicode::decode_utf8(key))) {
      throw InvalidArgument("'" + key +
                            "' cannot name an A1111 parameter: use letters, digits, '_', spaces, '-' or '/'");
    }
    if (!settings.empty()) settings += ", ";
    settings += key + ": " + quote(value);
  }
  std::string text = parameters.prompt;
  if (!parameters.negative_prompt.empty()) text += "\nNegative prompt: " + parameters.negative_prompt;
  text += "\n" + settings;
  return unicode::encode_utf8(strip(unicode::decode_utf8(text)));
}

A1111Parameters parse_a1111_parameters(std::string_view utf8) {
  const std::u32string text = unicode::decode_utf8(utf8);
  std::vector<std::u32string_view> lines = split_lines(strip(text));
  A1111Parameters parameters;
  if (const std::vector<Setting> settings = find_settings(lines.back()); settings.size() >= 3) {
    lines.pop_back();
    for (const Setting& setting : settings) {
      // A1111 fails on, and so skips, an empty value.
      if (setting.value.empty()) continue;
      parameters.fields.emplace_back(unicode::encode_utf8(setting.key), unquote(setting.value));
    }
  }
  std::u32string prompt;
  std::u32string negative_prompt;
  bool negative = false;
  for (std::u32string_view line : lines) {
    line = strip(line);
    if (line.starts_with(kNegativePromptPrefix)) {
      negative = true;
      line = strip(line.substr(kNegativePromptPrefix.size()));
    }
    std::u32string& target = negative ? negative_prompt : prompt;
    if (!target.empty()) target += U'\n';
    target += line;
  }
  parameters.prompt = unicode::encode_utf8(prompt);
  parameters.negative_prompt = unicode::encode_utf8(negative_prompt);
  return parameters;
}

}  // namespace atelier
