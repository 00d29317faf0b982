#pragma once
// Loading a module's parameters from a checkpoint by name: module names mirror the checkpoint's.
#include <torch/nn/module.h>

#include <string>

#include "core/io/safetensors.h"

namespace atelier {

// Copies tensor `prefix + name` into each parameter and buffer `name` of `module`, converting
// to the parameter's dtype tensor by tensor straight from the mapping (never two full copies).
// Throws FormatError naming the file and tensor when one is missing or has the wrong shape.
// The stored tensor `name` (a view of the mapping), which must have `shape`; FormatError
// naming the file and tensor otherwise.
at::Tensor checkpoint_tensor(const SafetensorsFile& file, const std::string& name, at::IntArrayRef shape);

void load_weights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix);

}  // namespace atelier
