#include "core/library/family_sizes.h"

namespace atelier {

ImageSize default_size(const CheckpointInfo& info) {
  switch (info.family) {
    case ModelFamily::SDXLBase:
    case ModelFamily::SDXLRefiner: return {1024, 1024};
    case ModelFamily::SD2:
      // Without a yaml, ε or v is told only when loaded (prediction_from_config false, prediction
      // Epsilon): unknown gets SD 2.x base's 512.
      if (info.prediction == Prediction::V) return {768, 768};
      return {512, 512};
    case ModelFamily::SD1:
    case ModelFamily::Unknown: break;
  }
  return {512, 512};
}

}  // namespace atelier
