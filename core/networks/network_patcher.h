#pragma once
// Networks change a loaded model in place and are taken back exactly ("Add-ons patch, then
// restore"): each changed layer's original weight is kept the first time it changes, and the
// next set of networks starts again from it, so switching networks never reloads the model
// and never drifts.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/networks/model_layers.h"
#include "core/networks/network_file.h"

namespace atelier {

struct AppliedNetwork {
  std::string name;  // as the prompt named it
  std::shared_ptr<const NetworkFile> file;
  double te_multiplier = 1.0;
  double unet_multiplier = 1.0;
  int dyn_dim = 0;

  friend bool operator==(const AppliedNetwork& a, const AppliedNetwork& b) {
    return a.name == b.name && a.file == b.file && a.te_multiplier == b.te_multiplier &&
           a.unet_multiplier == b.unet_multiplier && a.dyn_dim == b.dyn_dim;
  }
};

// How much of a network found a layer in the model: a LoRA of another family matches nothing.
struct NetworkMatch {
  std::string name;
  int modules = 0;
  int matched = 0;
};

class NetworkPatcher {
 public:
  // `model` must outlive the patcher and keep its weights resident (not streamed).
  explicit NetworkPatcher(StableDiffusionModel& model);

  // The model's weights become the originals plus each network's change, in order (float32
  // sums, as A1111 adds them). Asking for the networks already applied changes nothing.
  // Throws UnsupportedModel / FormatError naming the network and module; the model is then
  // left with its original weights.
  std::vector<NetworkMatch> apply(const std::vector<AppliedNetwork>& networks);
  void restore() { apply({}); }

 private:
  struct Original {
    at::Tensor weight, bias;
  };
  struct Pending {
    at::Tensor weight, bias;  // float32 sums
  };
  Pending& pending_for(std::map<const ModelLayer*, Pending>& pending, const ModelLayer& layer);
  void write_originals();

  ModelLayers layers_;
  std::map<const ModelLayer*, Original> originals_;
  std::vector<AppliedNetwork> applied_;
  std::vector<NetworkMatch> matches_;
};

}  // namespace atelier
