#pragma once
// Low-memory residency for a network's weights: they stay in the checkpoint, and each part of
// the network reads its own in just before it runs and drops them right after, so only the
// part being run holds weights in memory. The cost is one conversion of the weights per use.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/tensor_source.h"

namespace atelier {

class WeightStream {
 public:
  // Checks that every weight of `network` is in `source` as `prefix + name` with its shape
  // (FormatError naming the file and tensor otherwise), then empties them all.
  WeightStream(torch::nn::Module& network, std::shared_ptr<const TensorSource> source, std::string prefix,
               c10::Device device, c10::ScalarType dtype);

  // Fills (or empties) the weights of `part`, the network's child at `path` ("input_blocks.3";
  // "" for the whole network), but those below `except` ("encoder.layers.": streamed on their own).
  void load(torch::nn::Module& part, const std::string& path, const std::string& except = {}) const;
  void unload(torch::nn::Module& part, const std::string& path, const std::string& except = {}) const;

  // The same network's weights from another source (a replacement VAE), checked against the
  // shapes this stream was made for: FormatError naming the file and tensor otherwise.
  std::shared_ptr<const WeightStream> reading(std::shared_ptr<const TensorSource> source, std::string prefix) const;

 private:
  WeightStream(const WeightStream& other, std::shared_ptr<const TensorSource> source, std::string prefix);
  void check() const;

  std::shared_ptr<const TensorSource> source_;
  std::string prefix_;
  at::TensorOptions options_;
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes_;  // of the network's weights
};

// A part's weights (but those below `except`), loaded for the lifetime of this object; nothing
// happens without a stream (resident weights).
class WeightsInUse {
 public:
  WeightsInUse(const WeightStream* stream, torch::nn::Module& part, std::string path = {}, std::string except = {});
  ~WeightsInUse();
  WeightsInUse(const WeightsInUse&) = delete;
  WeightsInUse& operator=(const WeightsInUse&) = delete;

 private:
  const WeightStream* stream_;
  torch::nn::Module& part_;
  std::string path_, except_;
};

}  // namespace atelier
