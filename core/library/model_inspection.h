#pragma once
// What a library file is, read from its header only (never its weights): the family a checkpoint
// or an add-on belongs to, a network's alias, and whether a LoRA-folder file is LyCORIS.
#include <filesystem>
#include <map>
#include <string>

#include "core/io/safetensors_format.h"
#include "core/library/family_sizes.h"
#include "core/library/model_kind.h"
#include "core/models/checkpoint.h"

namespace atelier {

struct ModelFacts {
  ModelKind kind = ModelKind::Checkpoint;  // the folder's kind, made LyCORIS by a LyCORIS network's keys
  ModelFamily family = ModelFamily::Unknown;
  std::string alias;        // networks: ss_output_name
  std::string description;  // checkpoints: "SD1.x (epsilon)"
  ImageSize default_size{512, 512};  // checkpoints: their family's
  std::string problem;      // why the file cannot be read, or why Atelier cannot run the checkpoint
};

// Never throws: a file that cannot be read is described by `problem`. Checkpoints are read in
// every form (.safetensors, pickles without running them, diffusers folders); pickled add-ons
// (.pt, .ckpt, .bin) are not opened: their family is unknown.
ModelFacts inspect_model_file(ModelKind folder_kind, const std::filesystem::path& path);

// The SD family a LoRA / LyCORIS network is for: the kohya metadata ss_base_model_version
// ("sd_v1", "sd_v2...", "sdxl_...") or ss_v2, then modelspec.architecture, else the shapes: text
// encoder 2 keys (lora_te2_) mean SDXL; the cross-attention context width (768, 1024, 2048) and
// the text encoder width (768, 1024) tell SD1, SD2 and SDXL apart.
ModelFamily network_family(const SafetensorsHeader& header);

// A textual-inversion embedding's family: clip_g vectors are SDXL's; else the vectors' width
// (768 SD1, 1024 SD2).
ModelFamily embedding_family(const SafetensorsHeader& header);

// A diffusers folder's family from model_index.json (_class_name) and unet/config.json
// (cross_attention_dim 1024: SD2); an SDXL pipeline without the first text encoder is a refiner.
// Throws FormatError naming the file when model_index.json is not a pipeline's.
ModelFamily diffusers_family(const std::filesystem::path& folder);

}  // namespace atelier
