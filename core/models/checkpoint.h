#pragma once
// What a checkpoint file is: its family, the networks' sizes, and whether Atelier can run it.
// Sizes come from tensor shapes; what shapes cannot tell (head counts, prediction type, scale
// factor) from the LDM sidecar `<checkpoint>.yaml` when present, else the family's defaults.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/io/safetensors.h"
#include "core/models/model_config.h"

namespace atelier {

enum class ModelFamily { SD1, SD2, SDXLBase, SDXLRefiner, Unknown };
enum class Prediction { Epsilon, V };

std::string_view family_name(ModelFamily family);  // "SD1.x", "SD2.x", "SDXL base", ...

struct CheckpointInfo {
  std::filesystem::path path;
  ModelFamily family = ModelFamily::Unknown;
  Prediction prediction = Prediction::Epsilon;
  bool inpainting = false;            // 9 UNet input channels
  std::string unsupported_reason;     // empty when Atelier can run it
  std::optional<std::filesystem::path> sidecar_yaml;
  std::string text_encoder_prefix;    // where cond_stage_model's text_model.* tensors live
  bool sizes_known = false;           // the networks' layout was read from the shapes

  UNetConfig unet;
  VaeConfig vae;
  ClipTextConfig clip;
  NoiseScheduleConfig schedule;

  std::size_t tensor_count = 0;
  std::uintmax_t file_size = 0;
  std::map<std::string, std::size_t> dtype_counts;  // "F16" -> number of tensors

  bool supported() const { return unsupported_reason.empty(); }
  std::string description() const;  // "SD1.x (epsilon)", "SDXL base", "SD1.x inpainting"
};

// Reads the header (and sidecar yaml) of `file` and classifies it. Never throws for a valid
// safetensors file that is not a model: that is reported through `unsupported_reason`.
CheckpointInfo inspect_checkpoint(const SafetensorsFile& file);

// Throws UnsupportedModel naming the file and the reason when `info` cannot be run.
void require_supported(const CheckpointInfo& info);

}  // namespace atelier
