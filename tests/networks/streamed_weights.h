#pragma once
// A low-memory model's text-encoder and UNet weights, read in (with the networks' changes)
// for as long as the object lives, so a test can look at them; nothing for resident weights.
#include <memory>
#include <vector>

#include "core/models/stable_diffusion.h"

namespace atelier::test {

class AllWeightsIn {
 public:
  explicit AllWeightsIn(StableDiffusionModel& model) {
    for (auto& encoder : model.text_encoders)
      in_use_.push_back(std::make_unique<WeightsInUse>(encoder.weights.get(), *encoder.network));
    in_use_.push_back(std::make_unique<WeightsInUse>(model.unet->weight_stream(), *model.unet));
  }

 private:
  std::vector<std::unique_ptr<WeightsInUse>> in_use_;
};

}  // namespace atelier::test
