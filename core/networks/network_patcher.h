#pragma once
// Networks change a loaded model in place and are taken back exactly ("Add-ons patch, then
// restore"): each changed layer's original weight is kept the first time it changes, and the
// next set of networks starts again from it, so switching networks never reloads the model
// and never drifts.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/networks/model_layers.h"
#include "core/networks/network_delta.h"
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
  int misfits = 0;  // matched modules left out because they do not fit their layer (Misfits::Skip)
};

// What a network whose modules do not fit the model's layers gets: refused (the main model), or
// applied where it fits with the others counted (A1111 on an SDXL refiner, whose layers a base
// model's networks mostly do not fit: its "Networks with errors").
enum class Misfits { Refuse, Skip };

class NetworkPatcher {
 public:
  // `model`'s networks must outlive the patcher. Resident weights change in place; streamed
  // ones (low memory) as each part is read in, through the model's weight_edits.
  explicit NetworkPatcher(StableDiffusionModel& model, Misfits misfits = Misfits::Refuse);
  ~NetworkPatcher();
  NetworkPatcher(const NetworkPatcher&) = delete;
  NetworkPatcher& operator=(const NetworkPatcher&) = delete;

  // The model's weights become the originals plus each network's change, in order (float32
  // sums, as A1111 adds them). Asking for the networks already applied changes nothing.
  // Throws UnsupportedModel / FormatError naming the network and module; the model is then
  // left with its original weights.
  std::vector<NetworkMatch> apply(const std::vector<AppliedNetwork>& networks);
  void restore() { apply({}); }
  const std::vector<AppliedNetwork>& applied() const { return applied_; }

 private:
  // One network module's change to a layer.
  struct Change {
    const NetworkModuleWeights* module;
    double multiplier;
    int dyn_dim;
    int fused_part;  // 0, 1, 2: the q, k or v rows of an OpenCLIP attention's in_proj; -1: all
    std::size_t network;  // its index in apply()'s list
  };
  struct LayerChanges {
    const ModelLayer* layer;
    std::vector<Change> changes;  // in the order A1111 adds them
  };
  using Plan = std::map<const torch::nn::Module*, LayerChanges>;
  struct Original {
    at::Tensor weight, bias;
  };

  Plan plan(const std::vector<AppliedNetwork>& networks, std::vector<NetworkMatch>& matches) const;
  // Streamed layers' changes (not summed until generation) and, with Misfits::Skip, every
  // layer's are tried against the layer's shape here: a misfit throws, or is dropped and counted.
  void check_fit(Plan& plan, std::vector<NetworkMatch>& matches) const;
  static ModuleDelta delta(const ModelLayer& layer, const std::vector<int64_t>& weight_shape, const Change& change);
  // `weight` and `bias` (undefined: none) with every change added, in float32.
  static std::pair<at::Tensor, at::Tensor> changed(const LayerChanges& layer, const at::Tensor& weight,
                                                   const at::Tensor& bias);
  void write_originals();
  void edit_streamed(torch::nn::Module& part, const std::string& except) const;

  Misfits misfits_;
  std::shared_ptr<StreamedWeightEdits> edits_;  // the model's, when its weights are streamed
  ModelLayers layers_;
  Plan plan_;  // what changes, for streamed weights
  std::map<const ModelLayer*, Original> originals_;  // of the changed resident weights
  std::vector<AppliedNetwork> applied_;
  std::vector<NetworkMatch> matches_;
};

}  // namespace atelier
