#pragma once
// A1111's extra-network tags (modules/extra_networks.py parse_prompt): every `<kind:args>`
// is cut out of the prompt, leaving nothing in its place, and its arguments are split on ':'
// into positional items and `key=value` ones.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

struct ExtraNetworkTag {
  std::string kind;                          // "lora", "lyco", "hypernet", ... (case kept)
  std::vector<std::string> positional;       // items without '=' in prompt order
  std::map<std::string, std::string> named;  // `k=v` items (split at the first '=')
};

struct PromptWithoutTags {
  std::string text;  // the prompt with every tag removed, spaces and commas around it kept
  std::vector<ExtraNetworkTag> tags;
};

// Tags are `<` + word characters + `:` + at least one character other than `>` + `>`, as
// A1111's `<(\w+):([^>]+)>` matches them (bytes beyond ASCII count as word characters).
PromptWithoutTags remove_extra_network_tags(std::string_view prompt);

// A LoRA/LyCORIS network as `<lora:NAME[:te[:unet[:dyn]]][:te=..][:unet=..][:dyn=..]>` asks for it
// (A1111 extra_networks_lora.py activate): one number sets both multipliers.
struct NetworkRequest {
  std::string name;
  double te_multiplier = 1.0;
  double unet_multiplier = 1.0;
  int dyn_dim = 0;  // 0: the network's full rank

  friend bool operator==(const NetworkRequest&, const NetworkRequest&) = default;
};

// The `lora` and `lyco` tags of `tags` in prompt order. Throws InvalidArgument naming the tag
// when it has no name or a multiplier is not a number.
std::vector<NetworkRequest> network_requests(const std::vector<ExtraNetworkTag>& tags);

}  // namespace atelier
