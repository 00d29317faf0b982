#include "core/models/weight_stream.h"

#include <ATen/core/grad_mode.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "core/models/weights.h"

namespace atelier {
namespace {

std::string full_name(const std::string& prefix, const std::string& path, const std::string& key) {
  return path.empty() ? prefix + key : prefix + path + "." + key;
}

}  // namespace

WeightStream::WeightStream(torch::nn::Module& network, std::shared_ptr<const TensorSource> source, std::string prefix,
                           c10::Device device, c10::ScalarType dtype)
    : source_(std::move(source)), prefix_(std::move(prefix)), options_(at::TensorOptions().device(device).dtype(dtype)) {
  for (const auto& item : network.named_parameters()) shapes_.emplace_back(item.key(), item.value().sizes().vec());
  check();
  unload(network, {});
}

WeightStream::WeightStream(const WeightStream& other, std::shared_ptr<const TensorSource> source, std::string prefix)
    : source_(std::move(source)), prefix_(std::move(prefix)), options_(other.options_), shapes_(other.shapes_) {
  check();
}

std::shared_ptr<const WeightStream> WeightStream::reading(std::shared_ptr<const TensorSource> source,
                                                          std::string prefix) const {
  return std::shared_ptr<const WeightStream>(new WeightStream(*this, std::move(source), std::move(prefix)));
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
    auto weights = stored.to(options_);
    // A copy no longer needs the source's memory; a view reads them until unload().
    if (!weights.is_same(stored)) source_->release(name);
    item.value().set_data(weights);
  }
}

void WeightStream::unload(torch::nn::Module& part, const std::string& path, const std::string& except) const {
  at::NoGradGuard no_grad;
  for (auto& item : part.named_parameters()) {
    if (!except.empty() && item.key().starts_with(except)) continue;
    item.value().set_data(at::empty({0}, options_));
    source_->release(full_name(prefix_, path, item.key()));
  }
  // Most weights are under glibc's mmap threshold (which grows to 32 MB), so freeing them
  // leaves their pages in malloc's heaps; without giving those back, the resident memory grows
  // to the largest set of parts the heaps ever held.
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

WeightsInUse::WeightsInUse(const WeightStream* stream, torch::nn::Module& part, std::string path, std::string except)
    : stream_(stream), part_(part), path_(std::move(path)), except_(std::move(except)) {
  if (stream_) stream_->load(part_, path_, except_);
}

WeightsInUse::~WeightsInUse() {
  if (stream_) stream_->unload(part_, path_, except_);
}

}  // namespace atelier
