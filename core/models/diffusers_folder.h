#pragma once
// diffusers folders read as single-file checkpoints: a pipeline folder (model_index.json with
// unet/, vae/, text_encoder/) or a standalone AutoencoderKL folder, their tensors seen under
// the LDM names (diffusers_keys.h) without being copied.
#include <filesystem>
#include <memory>
#include <string>

#include "core/io/tensor_source.h"
#include "core/models/checkpoint.h"

namespace atelier {

bool is_diffusers_pipeline(const std::filesystem::path& folder);  // a folder with model_index.json
bool is_diffusers_vae(const std::filesystem::path& folder);       // a folder whose config.json is an AutoencoderKL

// The pipeline's UNet, VAE and text encoders under the single file's names: `model.diffusion_model.*`,
// `first_stage_model.*`, and by family `cond_stage_model.transformer.*` (SD1.x),
// `cond_stage_model.model.*` (SD2.x), `conditioner.embedders.N.*` (SDXL base and refiner), the
// OpenCLIP towers renamed from Hugging Face CLIP. In each component folder the full-precision
// weights are read, the `.fp16` variant when it is the only one. FormatError naming the folder
// or file for a missing model_index.json, component or weights file, or a malformed config.
std::shared_ptr<const TensorSource> open_diffusers_pipeline(const std::filesystem::path& folder);

// A standalone AutoencoderKL folder (config.json + weights) under LDM VAE names after `prefix`.
std::shared_ptr<const TensorSource> open_diffusers_vae(const std::filesystem::path& folder,
                                                       const std::string& prefix = {});

// What the pipeline's configs tell and shapes cannot: the attention heads of the UNet
// (`attention_head_dim` is diffusers' old name for the NUMBER of heads) and the text encoders,
// the noise schedule and prediction type, the VAE's scale factor.
void apply_diffusers_configs(CheckpointInfo& info, const std::filesystem::path& folder);

}  // namespace atelier
