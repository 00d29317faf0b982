#pragma once
// Which VAE a generation decodes (and encodes) with, by AUTOMATIC1111's rules (modules/sd_vae.py).
#include <filesystem>
#include <optional>
#include <string_view>

namespace atelier {

inline constexpr std::string_view kVaeAutomatic = "auto";
inline constexpr std::string_view kVaeNone = "none";

// The standalone VAE a generation of `model` uses for `choice` (GenerationParams::vae);
// nullopt for the model's own:
// - "auto" (also "Automatic" or empty): the first of <model stem>.vae.pt, .vae.ckpt and
//   .vae.safetensors beside the model, as A1111 finds a VAE near a checkpoint; else the model's own;
// - "none" ("None"): the model's own;
// - a VAE file or diffusers AutoencoderKL folder;
// - else a VAE's file name ("vae-ft-mse-840000-ema-pruned.safetensors", as A1111's infotext
//   names it), found by find_vae_by_name.
// InvalidArgument naming the choice when it is neither an existing path nor a known name.
std::optional<std::filesystem::path> resolve_vae(std::string_view choice, const std::filesystem::path& model);

// The one place VAE names are looked up: for now a file of that name beside the model (where
// A1111's Automatic VAEs live); the model library's VAE folders belong here.
std::optional<std::filesystem::path> find_vae_by_name(std::string_view name, const std::filesystem::path& model);

}  // namespace atelier
