#include "core/models/weights.h"

#include <ATen/core/grad_mode.h>

#include <sstream>

#include "core/error.h"

namespace atelier {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream out;
  out << shape;
  return out.str();
}

void load_tensor(at::Tensor& target, const TensorSource& source, const std::string& name) {
  target.copy_(source.tensor(name));
  source.release(name);
}

}  // namespace

void require_tensor(const TensorSource& source, const std::string& name, at::IntArrayRef shape) {
  const TensorEntry* entry = source.find(name);
  if (!entry) throw FormatError(source.describe(name) + " is missing");
  if (at::IntArrayRef(entry->shape) != shape)
    throw FormatError(source.describe(name) + " has shape " + shape_text(entry->shape) + ", expected " +
                      shape_text(shape));
}

void load_weights(torch::nn::Module& module, const TensorSource& source, const std::string& prefix) {
  at::NoGradGuard no_grad;
  auto tensors = module.named_parameters();
  for (auto& item : module.named_buffers()) tensors.insert(item.key(), item.value());
  // All checked before any is copied: a module never ends up half loaded.
  for (const auto& item : tensors) require_tensor(source, prefix + item.key(), item.value().sizes());
  for (auto& item : tensors) load_tensor(item.value(), source, prefix + item.key());
}

}  // namespace atelier
