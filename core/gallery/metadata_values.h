#pragma once
// Lenient reading of the numbers and names other tools write: "7", "7.000000", "512x768",
// "(1152, 896)". nullopt instead of throwing, so a reader can keep what it cannot read.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atelier {

std::optional<long long> parse_integer(std::string_view text);
std::optional<double> parse_number(std::string_view text);
// "512x768", "512 x 768", "(512, 768)" -> {512, 768}; each side at least `smallest` (0 for
// A1111's "Hires resize: 1024x0", the other side following the proportion).
std::optional<std::pair<int, int>> parse_size(std::string_view text, int smallest = 1);

// A1111's sampler and schedule type for another tool's sampler name, through our registry:
// "DPM++ 2M Karras" -> {"DPM++ 2M", "Karras"}, "Euler A" -> {"Euler a", "Automatic"}.
// nullopt for a sampler Atelier does not run.
struct SamplerNames {
  std::string sampler;
  std::string schedule;
};
std::optional<SamplerNames> a1111_sampler_names(std::string_view name);

// ComfyUI's sampler_name and scheduler (also Fooocus's) as A1111 names: "dpmpp_2m" -> "DPM++ 2M",
// "karras" -> "Karras". nullopt when A1111 has no such sampler or schedule type.
std::optional<std::string> a1111_sampler_from_comfyui(std::string_view name);
std::optional<std::string> a1111_schedule_from_comfyui(std::string_view name);

// A1111's "Lora hashes" / "TI hashes" values: "name: hash, name2: hash2" (its writer drops ':'
// and ',' from the names).
using NameHashes = std::vector<std::pair<std::string, std::string>>;
std::string format_name_hashes(const NameHashes& hashes);
NameHashes parse_name_hashes(std::string_view text);

}  // namespace atelier
