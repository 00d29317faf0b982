#include "core/text/extra_networks.h"

#include <cctype>
#include <charconv>

#include "core/error.h"
#include "core/text/python_float.h"

namespace atelier {
namespace {

// Python's `\w` on str: letters, digits and '_'; every non-ASCII byte is taken as part of a
// letter, which only errs on non-ASCII punctuation inside a tag's kind.
bool is_word_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || std::isalnum(byte) || c == '_';
}

ExtraNetworkTag tag_of(std::string_view kind, std::string_view args) {
  ExtraNetworkTag tag{std::string(kind), {}, {}};
  std::size_t start = 0;
  while (true) {
    const std::size_t end = args.find(':', start);
    const std::string_view item = args.substr(start, end == std::string_view::npos ? end : end - start);
    // Python's item.split('=', 2): exactly one '=' makes a named item.
    const auto equals = item.find('=');
    if (equals != std::string_view::npos && item.find('=', equals + 1) == std::string_view::npos)
      tag.named[std::string(item.substr(0, equals))] = std::string(item.substr(equals + 1));
    else
      tag.positional.emplace_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return tag;
}

std::string describe(const ExtraNetworkTag& tag) {
  std::string text = "<" + tag.kind;
  for (const auto& item : tag.positional) text += ":" + item;
  for (const auto& [key, value] : tag.named) text += ":" + key + "=" + value;
  return text + ">";
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Python's float() and int(), which allow surrounding whitespace.
double multiplier(const ExtraNetworkTag& tag, const std::string& text) {
  try {
    return python_float(trimmed(text));
  } catch (const InvalidArgument&) {
    throw InvalidArgument("the network tag " + describe(tag) + " has a multiplier '" + text +
                          "' that is not a number");
  }
}

int dimension(const ExtraNetworkTag& tag, std::string_view text) {
  text = trimmed(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0)
    throw InvalidArgument("the network tag " + describe(tag) + " has a rank '" + std::string(text) +
                          "' that is not a whole number");
  return value;
}

}  // namespace

PromptWithoutTags remove_extra_network_tags(std::string_view prompt) {
  PromptWithoutTags result;
  std::size_t copied = 0;
  for (std::size_t open = prompt.find('<'); open != std::string_view::npos; open = prompt.find('<', open + 1)) {
    std::size_t colon = open + 1;
    while (colon < prompt.size() && is_word_byte(prompt[colon])) ++colon;
    if (colon == open + 1 || colon >= prompt.size() || prompt[colon] != ':') continue;
    const std::size_t close = prompt.find('>', colon + 1);
    if (close == std::string_view::npos) break;
    if (close == colon + 1) continue;  // `<lora:>`: the arguments may not be empty
    result.text.append(prompt.substr(copied, open - copied));
    result.tags.push_back(tag_of(prompt.substr(open + 1, colon - open - 1), prompt.substr(colon + 1, close - colon - 1)));
    copied = close + 1;
    open = close;
  }
  result.text.append(prompt.substr(copied));
  return result;
}

std::vector<NetworkRequest> network_requests(const std::vector<ExtraNetworkTag>& tags) {
  std::vector<NetworkRequest> requests;
  for (const auto& tag : tags) {
    if (tag.kind != "lora" && tag.kind != "lyco") continue;
    if (tag.positional.empty()) throw InvalidArgument("the network tag " + describe(tag) + " names no network");
    NetworkRequest request{tag.positional[0], 1.0, 1.0, 0};
    if (tag.positional.size() > 1) request.te_multiplier = multiplier(tag, tag.positional[1]);
    if (const auto te = tag.named.find("te"); te != tag.named.end()) request.te_multiplier = multiplier(tag, te->second);
    request.unet_multiplier = tag.positional.size() > 2 ? multiplier(tag, tag.positional[2]) : request.te_multiplier;
    if (const auto unet = tag.named.find("unet"); unet != tag.named.end())
      request.unet_multiplier = multiplier(tag, unet->second);
    if (tag.positional.size() > 3) request.dyn_dim = dimension(tag, tag.positional[3]);
    if (const auto dyn = tag.named.find("dyn"); dyn != tag.named.end()) request.dyn_dim = dimension(tag, dyn->second);
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace atelier
