#pragma once
// A loaded SD1.x checkpoint: its three networks on one device in one dtype.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <filesystem>
#include <optional>

#include "core/models/checkpoint.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/unet.h"
#include "core/models/vae.h"

namespace atelier {

struct StableDiffusionModel {
  CheckpointInfo info;
  ClipTextEncoder text_encoder{nullptr};
  UNet unet{nullptr};
  AutoencoderKL vae{nullptr};
  // With streamed weights, where the text encoder and the VAE read theirs from around each
  // use (WeightsInUse); the UNet streams its own stage by stage. Null when resident.
  std::shared_ptr<const WeightStream> text_encoder_weights, vae_weights;
};

struct LoadOptions {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::kFloat;
  std::optional<c10::ScalarType> vae_dtype;  // default: dtype (fp16 overflows in the SD VAE)
  // Low-memory mode: weights stay in the checkpoint and are read around each use (weight_stream.h).
  bool stream_weights = false;
};

// Inspects, refuses what is unsupported (UnsupportedModel), builds the networks and loads
// their weights tensor by tensor (FormatError naming a missing or mis-shaped tensor).
StableDiffusionModel load_stable_diffusion(const std::filesystem::path& checkpoint, const LoadOptions& options = {});

}  // namespace atelier
