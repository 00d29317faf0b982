#pragma once
// A loaded checkpoint of any family: its text encoders, UNet and VAE on one device in one dtype.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/models/checkpoint.h"
#include "core/models/clip_text_encoder.h"
#include "core/models/open_clip_text_encoder.h"
#include "core/models/unet.h"
#include "core/models/vae.h"

namespace atelier {

struct TextEncoder {
  TextEncoderInfo info;
  std::shared_ptr<TextTransformerImpl> network;
  // With streamed weights, where it reads them from around each use (WeightsInUse); null when resident.
  std::shared_ptr<const WeightStream> weights;
};

struct StableDiffusionModel {
  CheckpointInfo info;
  std::vector<TextEncoder> text_encoders;  // in the order of info.text_encoders
  UNet unet{nullptr};
  AutoencoderKL vae{nullptr};
  // With streamed weights, where the VAE reads its weights from around each use; the UNet
  // streams its own stage by stage. Null when resident.
  std::shared_ptr<const WeightStream> vae_weights;
  // With streamed weights, the memory they are read into, and what the text encoders' and the
  // UNet's streams change as they read their weights in (networks); null when resident.
  std::shared_ptr<WeightPool> weight_pool;
  std::shared_ptr<StreamedWeightEdits> weight_edits;
  // The standalone VAE in place of the checkpoint's own (standalone_vae.h); nullopt: its own.
  std::optional<std::filesystem::path> vae_file;
};

// The text encoders' weights, but their blocks' (each block reads its own in as it runs), read
// in for this object's lifetime where they stream; nothing where they are resident. Hold one
// around any use of the encoders.
class TextEncodersInUse {
 public:
  explicit TextEncodersInUse(const StableDiffusionModel& model);

 private:
  std::vector<std::unique_ptr<WeightsInUse>> in_use_;
};

struct LoadOptions {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::kFloat;
  std::optional<c10::ScalarType> vae_dtype;  // default: dtype (fp16 overflows in the SD VAE)
  // Low-memory mode: weights stay in the checkpoint and are read around each use (weight_stream.h).
  bool stream_weights = false;
  // Only the text encoders' so (they run once a prompt, and SDXL's hold 3.3 GB in float32).
  bool stream_text_encoders = false;
};

// Opens `checkpoint` in any form (a file or a diffusers folder, model_source.h), inspects it,
// refuses what is unsupported (UnsupportedModel), builds the networks and loads their weights
// tensor by tensor (FormatError naming a missing or mis-shaped tensor). An SD2.x
// model without a yaml is told ε or v as A1111 tells it (is_v_prediction_sd2).
// A1111's rule for an SD2.x checkpoint without a config (sd_models_config.py,
// is_using_v_parameterization_for_sd2): the UNet's output for x = 0.5 everywhere [1, 4, 8, 8] at
// timestep 999 with a context of 0.5 [1, 2, context_dim], minus x, averages below -1 for a v model.
bool is_v_prediction_sd2(UNetImpl& unet);

StableDiffusionModel load_stable_diffusion(const std::filesystem::path& checkpoint, const LoadOptions& options = {});

}  // namespace atelier
