#pragma once
// Replacement VAEs, as AUTOMATIC1111 loads them (modules/sd_vae.py): a standalone VAE file
// (vae-ft-mse style: encoder.*, decoder.*, quant_conv.*, post_quant_conv.*; with or without
// the `first_stage_model.` prefix; .safetensors or a pickle) or a diffusers AutoencoderKL
// folder, put in place of a checkpoint's own VAE. Only the VAE changes.
#include <filesystem>
#include <memory>
#include <optional>

#include "core/io/tensor_source.h"
#include "core/models/stable_diffusion.h"

namespace atelier {

// The VAE at `path` under LDM VAE names without prefix. Kept out, as A1111's load_vae_dict:
// keys starting with "loss" (the training loss's discriminator) and model_ema.decay /
// model_ema.num_updates; from a file with `first_stage_model.*` keys only those, unprefixed.
// A diffusers pipeline folder gives its vae/. FormatError naming the file when it is damaged.
std::shared_ptr<const TensorSource> open_standalone_vae(const std::filesystem::path& path);

// Loads the VAE at `vae` into `model` in place of its VAE (nullopt: the checkpoint's own
// again), resident or streamed as the model was loaded. Nothing changes when `vae` is what
// the model already uses. The replacement must have the model's VAE architecture: FormatError
// naming the file and tensor otherwise, and the model keeps the VAE it had.
void use_vae(StableDiffusionModel& model, const std::optional<std::filesystem::path>& vae);

}  // namespace atelier
