#pragma once
// Low-memory residency for a network's weights: they stay in the checkpoint, and each part of
// the network reads its own in just before it runs and drops them right after, so only the
// part being run holds weights in memory. The cost is one conversion of the weights per use.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>

#include "core/io/safetensors.h"

namespace atelier {

class WeightStream {
 public:
  // Checks that every weight of `network` is in `file` as `prefix + name` with its shape
  // (FormatError naming the file and tensor otherwise), then empties them all.
  WeightStream(torch::nn::Module& network, std::shared_ptr<const SafetensorsFile> file, std::string prefix,
               c10::Device device, c10::ScalarType dtype);

  // Fills (or empties) the weights of `part`, the network's child at `path` ("input_blocks.3";
  // "" for the whole network).
  void load(torch::nn::Module& part, const std::string& path) const;
  void unload(torch::nn::Module& part, const std::string& path) const;

 private:
  std::shared_ptr<const SafetensorsFile> file_;
  std::string prefix_;
  at::TensorOptions options_;
};

// A part's weights, loaded for the lifetime of this object; nothing happens without a stream
// (resident weights).
class WeightsInUse {
 public:
  WeightsInUse(const WeightStream* stream, torch::nn::Module& part, std::string path = {});
  ~WeightsInUse();
  WeightsInUse(const WeightsInUse&) = delete;
  WeightsInUse& operator=(const WeightsInUse&) = delete;

 private:
  const WeightStream* stream_;
  torch::nn::Module& part_;
  std::string path_;
};

}  // namespace atelier
