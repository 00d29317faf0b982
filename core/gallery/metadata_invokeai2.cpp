// InvokeAI 2.x: an `sd-metadata` chunk of JSON (the CLI's metadata_dumps in ldm/invoke/args.py,
// the web UI's parameters_to_generated_image_metadata in invoke_ai_web_server.py),
//   {"model": "stable diffusion", "model_weights": "stable-diffusion-1.5", "model_hash": <SHA-256>,
//    "app_id": "invoke-ai/InvokeAI", "app_version": "v2.2.4",
//    "image": {"prompt": [{"prompt": "a cat [blurry]", "weight": 1.0}], "steps": 50, "cfg_scale": 7.5,
//              "seed": 42, "width": 512, "height": 512, "sampler": "k_lms", "type": "txt2img", ...}},
// beside a `Dream` chunk, the invoke> command that makes the image again:
//   "a cat [blurry]" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms
// The CLI names the model `model_id` and writes `images`, a list, for grids (and always, in the
// lstein/stable-diffusion releases before 2.0); the web UI's prompt may be a plain string.
#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"

namespace atelier {
namespace {

using nlohmann::json;

// InvokeAI 2's sampler names (args.py SAMPLER_CHOICES, the web UI's DIFFUSERS_SAMPLERS) beside
// A1111's. k_dpmpp_2 ran k-diffusion's dpmpp_2m (diffusers' DPMSolverMultistep from 2.2) and
// k_dpmpp_2_a its dpmpp_2s_ancestral; pndm and plms are both PLMS.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kInvokeSamplers{{
    {"ddim", "DDIM"},
    {"plms", "PLMS"},
    {"pndm", "PLMS"},
    {"k_lms", "LMS"},
    {"k_euler", "Euler"},
    {"k_euler_a", "Euler a"},
    {"k_heun", "Heun"},
    {"k_dpm_2", "DPM2"},
    {"k_dpm_2_a", "DPM2 a"},
    {"k_dpmpp_2", "DPM++ 2M"},
    {"dpmpp_2", "DPM++ 2M"},
    {"k_dpmpp_2_a", "DPM++ 2S a"},
    {"unipc", "UniPC"},
}};

// Image keys that change the picture in ways Atelier does not reproduce, when they are set.
constexpr std::array<std::string_view, 6> kUnappliedKeys{"variations", "hires_fix", "seamless",
                                                         "threshold",  "perlin",    "postprocessing"};

bool is_set(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  return !value.is_null() && !value.empty();
}

// Sets the sampler and schedule; false, with a note, for a name Atelier does not run.
bool set_sampler(ImageMetadata& metadata, const std::string& name) {
  std::optional<SamplerNames> names;
  for (const auto& [invoke, a1111] : kInvokeSamplers) {
    if (invoke == name) names = a1111_sampler_names(a1111);
  }
  if (!names) {
    metadata.unmapped.emplace_back("sampler \"" + name + "\" has no A1111 name Atelier runs");
    return false;
  }
  metadata.params.sampler = names->sampler;
  metadata.params.schedule = names->schedule;
  return true;
}

// InvokeAI 2 takes every [bracketed] run out of the prompt as the negative prompt (conditioning.py,
// split_prompt_to_positive_and_negative): the runs joined by spaces; each replaced by a space,
// then runs of spaces squeezed to one. A bracket closes only on its own line, as the regex
// `\[(.*?)\]`. Both are trimmed: the text encoder ignores the spaces at the ends.
void set_prompts(GenerationParams& p, std::string_view prompt) {
  std::string positive, negative;
  bool bracketed = false;
  for (std::size_t i = 0; i < prompt.size();) {
    const auto open = prompt.find('[', i);
    const auto close = open == std::string_view::npos ? open : prompt.find_first_of("]\n", open + 1);
    if (close == std::string_view::npos) {
      positive += prompt.substr(i);
      break;
    }
    if (prompt[close] == '\n') {  // no bracket opened before the line's end closes on it
      positive += prompt.substr(i, close - i);
      i = close;
      continue;
    }
    positive += prompt.substr(i, open - i);
    positive += ' ';
    if (bracketed) negative += ' ';
    negative += prompt.substr(open + 1, close - open - 1);
    bracketed = true;
    i = close + 1;
  }
  std::string squeezed;
  for (char c : positive) {
    if (c != ' ' || !bracketed || !squeezed.ends_with(' ')) squeezed += c;
  }
  const auto trim = [](const std::string& text) {
    const auto begin = text.find_first_not_of(' ');
    return begin == std::string::npos ? std::string() : text.substr(begin, text.find_last_not_of(' ') - begin + 1);
  };
  p.prompt = trim(squeezed);
  p.negative_prompt = trim(negative);
}

// The prompt text: a string, or the sub-prompts [{"prompt": ..., "weight": ...}] joined by commas;
// nullopt for anything else.
std::optional<std::string> prompt_text(const json& prompt) {
  if (prompt.is_string()) return prompt.get<std::string>();
  if (!prompt.is_array() || prompt.empty()) return std::nullopt;
  std::string text;
  for (const json& part : prompt) {
    const auto subprompt = part.find("prompt");
    if (subprompt == part.end() || !subprompt->is_string()) return std::nullopt;
    if (!text.empty()) text += ", ";
    text += subprompt->get<std::string>();
  }
  return text;
}

// Through 2.2 InvokeAI hashed the checkpoint file whole (model_manager.py, _cached_sha256): A1111's
// full SHA-256, whose first 10 digits are A1111's model hash. 2.3 loads every model as diffusers and
// hashes the model's folder, or writes "NOHASH".
bool hashes_checkpoint_files(std::string_view app_version) {
  if (app_version.starts_with('v')) app_version.remove_prefix(1);
  const auto dot = app_version.find('.');
  if (dot == std::string_view::npos) return false;
  const auto major = parse_integer(app_version.substr(0, dot));
  const auto minor = parse_integer(app_version.substr(dot + 1, app_version.find('.', dot + 1) - dot - 1));
  return major && minor && (*major < 2 || (*major == 2 && *minor < 3));
}

bool is_sha256(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

void read_image(const json& image, ImageMetadata& metadata) {
  GenerationParams& p = metadata.params;
  const auto type = image.find("type");
  const bool img2img = type != image.end() && *type == "img2img";
  for (const auto& [key, value] : image.items()) {
    bool mapped = true;
    if (key == "prompt" && prompt_text(value)) {
      set_prompts(p, *prompt_text(value));
      if (value.size() > 1) {
        mapped = false;
        metadata.unmapped.emplace_back("the prompt blends weighted sub-prompts: they are joined without weights");
      }
    } else if (key == "steps" && value.is_number_integer()) p.steps = value;
    else if (key == "cfg_scale" && value.is_number()) p.cfg_scale = value;
    else if (key == "seed" && value.is_number_integer()) p.seed = value;
    else if (key == "width" && value.is_number_integer()) p.width = value;
    else if (key == "height" && value.is_number_integer()) p.height = value;
    else if (key == "sampler" && value.is_string()) mapped = set_sampler(metadata, value.get<std::string>());
    // `strength`, or `strength_steps` as the CLI records it; txt2img's (before 2.0) is unused.
    else if (img2img && key.starts_with("strength") && value.is_number()) p.denoising_strength = value;
    else mapped = false;

    if (mapped || value.is_null()) continue;
    metadata.extra.emplace_back(key, json_text(value));
    for (std::string_view unapplied : kUnappliedKeys) {
      if (key == unapplied && is_set(value)) metadata.unmapped.emplace_back("\"" + key + "\" is not applied");
    }
  }
}

// nullopt without an image object to read.
std::optional<ImageMetadata> read_sd_metadata(const json& record) {
  const json* image = nullptr;
  if (const auto one = record.find("image"); one != record.end() && one->is_object()) image = &*one;
  const auto grid = record.find("images");
  if (grid != record.end() && grid->is_array() && !grid->empty() && grid->front().is_object()) image = &grid->front();
  if (!image) return std::nullopt;

  ImageMetadata metadata;
  const auto version = record.find("app_version");
  const bool file_hash =
      version != record.end() && version->is_string() && hashes_checkpoint_files(version->get<std::string>());
  for (const auto& [key, value] : record.items()) {
    if (key == "image" || value.is_null()) continue;
    if (key == "images") {
      if (value.size() > 1) {
        metadata.unmapped.emplace_back("a grid of " + std::to_string(value.size()) +
                                       " images: the first one's parameters are read");
      }
    } else if ((key == "model_weights" || key == "model_id") && value.is_string()) {
      metadata.params.model = value.get<std::string>();
    } else {
      const std::string text = json_text(value);
      if (key == "model_hash" && file_hash && is_sha256(text)) metadata.params.model_hash = text.substr(0, 10);
      metadata.extra.emplace_back(key, text);
    }
  }
  read_image(*image, metadata);
  return metadata;
}

// The prompt and the switches after it, as Args.parse_cmd splits a command: a quoted prompt, or all
// before the first " -x" or " --x".
std::pair<std::string, std::string_view> split_command(std::string_view command) {
  if (command.starts_with('-')) return {"", command};
  if (command.starts_with('"')) {
    std::string prompt;
    for (std::size_t i = 1; i < command.size(); ++i) {
      if (command[i] == '"') return {prompt, command.substr(i + 1)};
      if (command[i] == '\\' && i + 1 < command.size() && (command[i + 1] == '"' || command[i + 1] == '\\')) ++i;
      prompt += command[i];
    }
    return {prompt, {}};
  }
  for (std::size_t i = 1; i + 2 < command.size(); ++i) {
    if (!std::isspace(static_cast<unsigned char>(command[i])) || command[i + 1] != '-') continue;
    const std::size_t letter = command[i + 2] == '-' ? i + 3 : i + 2;
    if (letter < command.size() && std::isalpha(static_cast<unsigned char>(command[letter]))) {
      return {std::string(command.substr(0, i)), command.substr(i + 1)};
    }
  }
  return {std::string(command), {}};
}

void read_switch(ImageMetadata& metadata, std::string_view name, std::string_view value) {
  GenerationParams& p = metadata.params;
  const auto integer = parse_integer(value);
  const auto number = parse_number(value);
  if ((name == "-s" || name == "--steps") && integer) p.steps = static_cast<int>(*integer);
  else if ((name == "-S" || name == "--seed") && integer) p.seed = *integer;
  else if ((name == "-W" || name == "--width") && integer) p.width = static_cast<int>(*integer);
  else if ((name == "-H" || name == "--height") && integer) p.height = static_cast<int>(*integer);
  else if ((name == "-C" || name == "--cfg_scale") && number) p.cfg_scale = *number;
  else if ((name == "-f" || name == "--strength") && number) p.denoising_strength = *number;
  else if (name == "-A" || name == "-m" || name == "--sampler") set_sampler(metadata, std::string(value));
}

// The `Dream` command alone (Args.dream_prompt_str, the web UI's parameters_to_command): only its
// generation switches are read, their values after them ("-s 50") or, in the oldest, joined ("-s50").
ImageMetadata read_dream(std::string_view command) {
  ImageMetadata metadata;
  metadata.extra.emplace_back("Dream", std::string(command));
  const auto [prompt, switches] = split_command(command);
  set_prompts(metadata.params, prompt);
  std::vector<std::string_view> words;
  for (std::size_t begin = switches.find_first_not_of(" \t\n"); begin != std::string_view::npos;) {
    const auto end = std::min(switches.find_first_of(" \t\n", begin), switches.size());
    if (switches[begin] == '#') break;  // a grid's command ends with "# [seeds]"
    words.push_back(switches.substr(begin, end - begin));
    begin = switches.find_first_not_of(" \t\n", end);
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = words[i];
    if (word.size() < 2 || !word.starts_with('-')) continue;
    std::string_view name = word, value;
    if (!word.starts_with("--")) {
      name = word.substr(0, 2);
      value = word.substr(2);
    } else if (const auto equals = word.find('='); equals != std::string_view::npos) {
      name = word.substr(0, equals);
      value = word.substr(equals + 1);
    }
    if (value.empty() && i + 1 < words.size()) value = words[i + 1];
    read_switch(metadata, name, value);
  }
  return metadata;
}

}  // namespace

std::optional<ImageMetadata> read_invokeai2_metadata(const std::vector<PngText>& texts) {
  std::optional<ImageMetadata> metadata;
  if (const std::string* text = find_text(texts, "sd-metadata")) {
    const json record = json::parse(*text, nullptr, false);
    if (record.is_object()) metadata = read_sd_metadata(record);
  }
  // Without readable JSON the command still tells the essentials.
  const std::string* dream = find_text(texts, "Dream");
  if (!metadata && dream) metadata = read_dream(*dream);
  if (!metadata) return std::nullopt;
  metadata->source = "invokeai";
  metadata->unmapped.emplace_back(
      "InvokeAI 2's prompt syntax and sampler schedules differ from A1111's: a re-run is close, not identical");
  return metadata;
}

}  // namespace atelier
