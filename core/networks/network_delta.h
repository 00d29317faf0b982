#pragma once
// The weight change one network module makes, as A1111's Lora extension computes it
// (network.py finalize_updown, network_lora / network_hada / network_lokr / network_full /
// network_norm, lyco_helpers): updown · scale · multiplier in float32.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/networks/network_file.h"

namespace atelier {

struct ModuleDelta {
  at::Tensor weight;  // added to the target's weight (its shape)
  at::Tensor bias;    // added to its bias, or undefined
};

struct DeltaTarget {
  std::vector<int64_t> weight_shape;  // the target's weight: [out, in] or [out, in, kh, kw] or [C]
  bool convolution = false;      // a Conv2d (LoRA factors become 1×1 / k×k convolutions)
};

// Throws UnsupportedModel naming `module` when its parts are no module type Atelier knows
// (IA3, OFT, GLoRA, DoRA), FormatError when the factors do not fit the target.
// `dyn_dim` > 0 keeps the first dyn_dim ranks of a LoRA.
ModuleDelta network_delta(const NetworkModuleWeights& module, const DeltaTarget& target, double multiplier,
                          int dyn_dim = 0);

}  // namespace atelier
