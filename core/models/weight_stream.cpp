#include "core/models/weight_stream.h"

#include <ATen/core/grad_mode.h>

#include "core/error.h"
#include "core/models/weights.h"

namespace atelier {
namespace {

std::string full_name(const std::string& prefix, const std::string& path, const std::string& key) {
  return path.empty() ? prefix + key : prefix + path + "." + key;
}

}  // namespace

WeightStream::WeightStream(torch::nn::Module& network, std::shared_ptr<const TensorSource> source, std::string prefix,
                           c10::Device device, c10::ScalarType dtype, std::shared_ptr<WeightPool> pool,
                           std::shared_ptr<const StreamedWeightEdits> edits)
    : source_(std::move(source)),
      prefix_(std::move(prefix)),
      options_(at::TensorOptions().device(device).dtype(dtype)),
      pool_(std::move(pool)),
      edits_(std::move(edits)) {
  for (const auto& item : network.named_parameters()) shapes_.emplace(item.key(), item.value().sizes().vec());
  check();
  unload(network, {});
}

WeightStream::WeightStream(const WeightStream& other, std::shared_ptr<const TensorSource> source, std::string prefix)
    : source_(std::move(source)),
      prefix_(std::move(prefix)),
      options_(other.options_),
      shapes_(other.shapes_),
      pool_(other.pool_),
      edits_(other.edits_) {
  check();
}

std::shared_ptr<const WeightStream> WeightStream::reading(std::shared_ptr<const TensorSource> source,
                                                          std::string prefix) const {
  return std::shared_ptr<const WeightStream>(new WeightStream(*this, std::move(source), std::move(prefix)));
}

const std::vector<int64_t>& WeightStream::shape(const std::string& name) const {
  const auto found = shapes_.find(name);
  if (found == shapes_.end()) throw FormatError(source_->path().string() + ": the network has no weight '" + name + "'");
  return found->second;
}

void WeightStream::check() const {
  for (const auto& [name, shape] : shapes_) require_tensor(*source_, prefix_ + name, shape);
}

void WeightStream::load(torch::nn::Module& part, const std::string& path, const std::string& except) const {
  at::NoGradGuard no_grad;
  for (auto& item : part.named_parameters()) {
    if (!except.empty() && item.key().starts_with(except)) continue;
    const std::string name = full_name(prefix_, path, item.key());
    const auto stored = source_->tensor(name);
    // A view reads the source's memory until unload(); a converted copy no longer needs it.
    if (stored.dtype() == options_.dtype() && stored.device() == options_.device()) {
      item.value().set_data(stored);
      continue;
    }
    auto weights = pool_->take(stored.sizes(), options_);
    weights.copy_(stored);
    source_->release(name);
    item.value().set_data(weights);
  }
  if (edits_) edits_->apply(part, except);
}

void WeightStream::unload(torch::nn::Module& part, const std::string& path, const std::string& except) const {
  at::NoGradGuard no_grad;
  for (auto& item : part.named_parameters()) {
    if (!except.empty() && item.key().starts_with(except)) continue;
    item.value().set_data(at::empty({0}, options_));
    source_->release(full_name(prefix_, path, item.key()));
  }
}

WeightsInUse::WeightsInUse(const WeightStream* stream, torch::nn::Module& part, std::string path, std::string except)
    : stream_(stream), part_(part), path_(std::move(path)), except_(std::move(except)) {
  if (stream_) stream_->load(part_, path_, except_);
}

WeightsInUse::~WeightsInUse() {
  if (stream_) stream_->unload(part_, path_, except_);
}

}  // namespace atelier
