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

void load_tensor(at::Tensor& target, const SafetensorsFile& file, const std::string& name) {
  target.copy_(checkpoint_tensor(file, name, target.sizes()));
  file.release(name);
}

}  // namespace

at::Tensor checkpoint_tensor(const SafetensorsFile& file, const std::string& name, at::IntArrayRef shape) {
  if (!file.contains(name))
    throw FormatError(file.path().string() + ": tensor " + name + " is missing");
  at::Tensor stored = file.tensor(name);
  if (stored.sizes() != shape)
    throw FormatError(file.path().string() + ": tensor " + name + " has shape " + shape_text(stored.sizes()) +
                      ", expected " + shape_text(shape));
  return stored;
}

void load_weights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix) {
  at::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) load_tensor(item.value(), file, prefix + item.key());
  for (auto& item : module.named_buffers()) load_tensor(item.value(), file, prefix + item.key());
}

}  // namespace atelier
