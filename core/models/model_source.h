#pragma once
// Opening a model in any of the forms users bring: a .safetensors file (memory-mapped), a
// pickle checkpoint (.ckpt / .pt / .pth / .bin, through the restricted unpickler: nothing in it
// runs) or a diffusers folder. Everything after this sees a TensorSource under LDM names.
#include <filesystem>
#include <memory>

#include "core/io/tensor_source.h"

namespace atelier {

// One weights file: safetensors, or a pickle checkpoint (by its extension or its content) read
// into memory: its state dict, each tensor in its own type, the old CLIP names renamed as
// A1111's transform_checkpoint_dict_key does. The reader's FormatError, naming the file, for a
// damaged or hostile file.
std::shared_ptr<const TensorSource> open_weights_file(const std::filesystem::path& path);

// A model file or a diffusers pipeline folder (diffusers_folder.h).
std::shared_ptr<const TensorSource> open_model_source(const std::filesystem::path& path);

// `path` without a trailing separator, so that "models/sd15/" is named "sd15" as "models/sd15" is.
std::filesystem::path without_trailing_separator(std::filesystem::path path);

}  // namespace atelier
