#include "core/gallery/metadata_values.h"

#include <array>
#include <charconv>
#include <cstdlib>

#include "core/error.h"
#include "core/sampling/sampler_registry.h"

namespace atelier {
namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// ComfyUI's KSAMPLER_NAMES beside A1111's labels (modules/sd_samplers_kdiffusion.py); the
// "_gpu" variants differ only in where their Brownian noise is drawn.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kComfySamplers{{
    {"euler", "Euler"},
    {"euler_ancestral", "Euler a"},
    {"heun", "Heun"},
    {"heunpp2", "Heun++ 2"},
    {"dpm_2", "DPM2"},
    {"dpm_2_ancestral", "DPM2 a"},
    {"lms", "LMS"},
    {"dpm_fast", "DPM fast"},
    {"dpm_adaptive", "DPM adaptive"},
    {"dpmpp_2s_ancestral", "DPM++ 2S a"},
    {"dpmpp_sde", "DPM++ SDE"},
    {"dpmpp_sde_gpu", "DPM++ SDE"},
    {"dpmpp_2m", "DPM++ 2M"},
    {"dpmpp_2m_sde", "DPM++ 2M SDE"},
    {"dpmpp_2m_sde_gpu", "DPM++ 2M SDE"},
    {"dpmpp_3m_sde", "DPM++ 3M SDE"},
    {"dpmpp_3m_sde_gpu", "DPM++ 3M SDE"},
    {"ddim", "DDIM"},
    {"lcm", "LCM"},
    {"uni_pc", "UniPC"},
    {"uni_pc_bh2", "UniPC"},
    {"restart", "Restart"},
}};

// ComfyUI's SCHEDULER_NAMES beside A1111's schedule types (modules/sd_schedulers.py, which
// ported ComfyUI's "normal", "simple" and "sgm_uniform" under those names).
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kComfySchedules{{
    {"normal", "Normal"},
    {"karras", "Karras"},
    {"exponential", "Exponential"},
    {"sgm_uniform", "SGM Uniform"},
    {"simple", "Simple"},
    {"ddim_uniform", "DDIM"},
    {"beta", "Beta"},
    {"kl_optimal", "KL Optimal"},
}};

template <typename Table>
std::optional<std::string> look_up(const Table& table, std::string_view name) {
  for (const auto& [comfy, a1111] : table) {
    if (comfy == name) return std::string(a1111);
  }
  return std::nullopt;
}

}  // namespace

std::optional<long long> parse_integer(std::string_view text) {
  text = trim(text);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  const std::string copy(trim(text));
  if (copy.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

std::optional<std::pair<int, int>> parse_size(std::string_view text, int smallest) {
  text = trim(text);
  if (text.starts_with('(') && text.ends_with(')')) text = text.substr(1, text.size() - 2);
  auto separator = text.find_first_of("x,");
  if (separator == std::string_view::npos) return std::nullopt;
  const auto width = parse_integer(text.substr(0, separator));
  const auto height = parse_integer(text.substr(separator + 1));
  if (!width || !height || *width < smallest || *height < smallest || *width > 1 << 20 || *height > 1 << 20)
    return std::nullopt;
  return std::pair{static_cast<int>(*width), static_cast<int>(*height)};
}

std::optional<SamplerNames> a1111_sampler_names(std::string_view name) {
  try {
    const SamplerChoice choice = choose_sampler(name);
    return SamplerNames{std::string(choice.sampler->name), std::string(to_string(choice.schedule))};
  } catch (const InvalidArgument&) {
    return std::nullopt;
  }
}

std::optional<std::string> a1111_sampler_from_comfyui(std::string_view name) { return look_up(kComfySamplers, name); }

std::optional<std::string> a1111_schedule_from_comfyui(std::string_view name) { return look_up(kComfySchedules, name); }

std::string format_name_hashes(const NameHashes& hashes) {
  std::string text;
  for (const auto& [name, hash] : hashes) {
    std::string clean;
    for (char c : name)
      if (c != ':' && c != ',') clean += c;
    text += (text.empty() ? "" : ", ") + clean + ": " + hash;
  }
  return text;
}

NameHashes parse_name_hashes(std::string_view text) {
  NameHashes hashes;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    const auto trim = [](std::string_view part) {
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
      return std::string(part);
    };
    hashes.emplace_back(trim(item.substr(0, colon)), trim(item.substr(colon + 1)));
  }
  return hashes;
}

}  // namespace atelier
