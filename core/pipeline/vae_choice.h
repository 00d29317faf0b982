#pragma once
// Which VAE a generation decodes (and encodes) with, by AUTOMATIC1111's rules (modules/sd_vae.py).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/networks/addon_folders.h"

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
//   names it): beside the model, else in the VAE folders, else the VAE with `recorded_hash`
//   (an image's "VAE hash") when the file was renamed since.
// InvalidArgument naming the choice and where it was looked for when none of these holds.
std::optional<std::filesystem::path> resolve_vae(std::string_view choice, const std::filesystem::path& model,
                                                 const AddonFolders& folders, const std::string& recorded_hash = {});

}  // namespace atelier
