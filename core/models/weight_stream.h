#pragma once
// Low-memory residency for a network's weights: they stay in the checkpoint, and each part of
// the network reads its own in just before it runs and drops them right after, so only the
// part being run holds weights in memory. The cost is one conversion of the weights per use,
// into memory a WeightPool keeps for the next part.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <torch/nn/module.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/tensor_source.h"
#include "core/models/weight_pool.h"

namespace atelier {

// Changes to a model's streamed weights, made as each part is read in (networks on a
// low-memory model: core/networks); one for all of the model's streams.
class StreamedWeightEdits {
 public:
  // `edit(part, except)` changes the weights just read into `part`, but those below `except`.
  using Edit = std::function<void(torch::nn::Module& part, const std::string& except)>;
  void set(Edit edit) { edit_ = std::move(edit); }
  void apply(torch::nn::Module& part, const std::string& except) const {
    if (edit_) edit_(part, except);
  }

 private:
  Edit edit_;
};

class WeightStream {
 public:
  // Checks that every weight of `network` is in `source` as `prefix + name` with its shape
  // (FormatError naming the file and tensor otherwise), then empties them all. Weights that
  // need converting are read into blocks of `pool`; `edits`, when given, changes each part's
  // weights after they are read in.
  WeightStream(torch::nn::Module& network, std::shared_ptr<const TensorSource> source, std::string prefix,
               c10::Device device, c10::ScalarType dtype, std::shared_ptr<WeightPool> pool,
               std::shared_ptr<const StreamedWeightEdits> edits = nullptr);

  // Fills (or empties) the weights of `part`, the network's child at `path` ("input_blocks.3";
  // "" for the whole network), but those below `except` ("encoder.layers.": streamed on their own).
  void load(torch::nn::Module& part, const std::string& path, const std::string& except = {}) const;
  void unload(torch::nn::Module& part, const std::string& path, const std::string& except = {}) const;

  // The same network's weights from another source (a replacement VAE), checked against the
  // shapes this stream was made for: FormatError naming the file and tensor otherwise.
  std::shared_ptr<const WeightStream> reading(std::shared_ptr<const TensorSource> source, std::string prefix) const;

  // The shape of the network's weight `name` ("input_blocks.1.0.in_layers.2.weight"), which
  // its emptied parameter no longer has; FormatError when the network has no such weight.
  const std::vector<int64_t>& shape(const std::string& name) const;

 private:
  WeightStream(const WeightStream& other, std::shared_ptr<const TensorSource> source, std::string prefix);
  void check() const;

  std::shared_ptr<const TensorSource> source_;
  std::string prefix_;
  at::TensorOptions options_;
  std::map<std::string, std::vector<int64_t>> shapes_;  // of the network's weights
  std::shared_ptr<WeightPool> pool_;
  std::shared_ptr<const StreamedWeightEdits> edits_;
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
