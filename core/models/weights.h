#pragma once
// Loading a module's parameters from a checkpoint by name: module names mirror the checkpoint's.
#include <torch/nn/module.h>

#include <string>

#include "core/io/tensor_source.h"

namespace atelier {

// Checks that the source holds tensor `name` with `shape`; FormatError naming the file and
// tensor otherwise.
void require_tensor(const TensorSource& source, const std::string& name, at::IntArrayRef shape);

// Copies tensor `prefix + name` into each parameter and buffer `name` of `module`, converting
// to the parameter's dtype tensor by tensor straight from the source (never two full copies).
// Throws FormatError naming the file and tensor when one is missing or has the wrong shape,
// before anything is copied.
void load_weights(torch::nn::Module& module, const TensorSource& source, const std::string& prefix);

}  // namespace atelier
