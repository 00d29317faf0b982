#pragma once
// What a checkpoint is: its family, the networks' sizes, and whether Atelier can run it.
// Sizes come from tensor shapes; what shapes cannot tell (head counts, prediction type, scale
// factor) from the LDM sidecar `<checkpoint>.yaml` when present (a diffusers folder's configs
// for a folder), else the family's defaults.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/io/safetensors.h"  // the usual TensorSource, for callers that open a file themselves
#include "core/io/tensor_source.h"
#include "core/models/model_config.h"

namespace atelier {

enum class ModelFamily { SD1, SD2, SDXLBase, SDXLRefiner, Unknown };
enum class Prediction { Epsilon, V };

std::string_view family_name(ModelFamily family);  // "SD1.x", "SD2.x", "SDXL base", ...

// One text encoder of a checkpoint and what the family takes from it: this table is what makes
// SD1 (CLIP-L), SD2 (OpenCLIP ViT-H) and SDXL (both) differ in their conditioning.
struct TextEncoderInfo {
  enum class Layout { HuggingFaceClip, OpenClip };
  enum class Output {
    LastNormed,         // SD1.x: the final norm after the last block (Clip skip moves it earlier)
    HiddenNormed,       // SD2.x: the final norm after block `hidden_layer`
    Hidden,             // SDXL: the output of block `hidden_layer`, no final norm
  };
  std::string prefix;  // "cond_stage_model.transformer.text_model.", "conditioner.embedders.1.model.", ...
  Layout layout = Layout::HuggingFaceClip;
  ClipTextConfig config;
  Output output = Output::LastNormed;
  int hidden_layer = 0;   // index into the hidden states for HiddenNormed / Hidden
  int pad_token = 49407;  // what follows a chunk's first end-of-text token: 49407 (CLIP) or 0 (OpenCLIP)
  bool pooled = false;    // gives SDXL's pooled vector
};

struct CheckpointInfo {
  std::filesystem::path path;
  ModelFamily family = ModelFamily::Unknown;
  Prediction prediction = Prediction::Epsilon;
  bool inpainting = false;            // 9 UNet input channels
  std::string unsupported_reason;     // empty when Atelier can run it
  std::optional<std::filesystem::path> sidecar_yaml;
  bool prediction_from_config = false;  // the yaml said ε or v (else the family's rule decides)
  bool sizes_known = false;           // the networks' layout was read from the shapes

  UNetConfig unet;
  VaeConfig vae;
  std::vector<TextEncoderInfo> text_encoders;  // in the order their outputs are concatenated
  NoiseScheduleConfig schedule;

  std::size_t tensor_count = 0;
  std::uintmax_t file_size = 0;  // a folder's: all its files together
  std::map<std::string, std::size_t> dtype_counts;  // "F16" -> number of tensors

  bool supported() const { return unsupported_reason.empty(); }
  std::string description() const;  // "SD1.x (epsilon)", "SDXL base", "SD1.x inpainting"
};

// Reads the tensor names and shapes of `source` (and its sidecar yaml or folder configs) and
// classifies it. Never throws for a valid file that is not a model: that is reported through
// `unsupported_reason`.
CheckpointInfo inspect_checkpoint(const TensorSource& source);
// The model at `path` in any form (model_source.h). FormatError for a damaged file.
CheckpointInfo inspect_checkpoint(const std::filesystem::path& path);

// Throws UnsupportedModel naming the file and the reason when `info` cannot be run.
void require_supported(const CheckpointInfo& info);

}  // namespace atelier
