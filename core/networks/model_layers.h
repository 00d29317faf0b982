#pragma once
// The layers of a loaded model a network can change, under the names A1111 gives them
// (networks.py assign_network_names_to_compvis_modules: the module path below
// `cond_stage_model` / `conditioner.embedders.N` (as `N_`) / `model`, '.' -> '_'), and how a
// network's key prefix finds its layer (convert_diffusers_name_to_compvis and its fallbacks).
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/models/stable_diffusion.h"

namespace atelier {

struct ModelLayer {
  enum class Kind { Linear, Convolution, Norm, Attention };  // Attention: OpenCLIP's fused q|k|v
  Kind kind = Kind::Linear;
  bool text_encoder = false;  // takes the te multiplier (else the unet one)
  // An attention's out_proj changes only together with the attention's q, k and v (A1111
  // patches torch's MultiheadAttention as a whole; its out_proj is never called on its own).
  bool inside_attention = false;
  torch::nn::Module* module = nullptr;
  std::string path;  // within its network: "input_blocks.1.1.proj_in"
  // Where the layer's weights are read from in low-memory mode; null when resident.
  const WeightStream* stream = nullptr;

  std::vector<int64_t> weight_shape() const;  // also while streamed weights are out
  at::Tensor weight() const;  // the current values (dense), on the module's device
  // Resident weights are overwritten (keeping their layout); streamed ones replaced, as they
  // may be the checkpoint's read-only mapping.
  void set_weight(const at::Tensor& values) const;
  at::Tensor bias() const;    // undefined when the layer has none
  void set_bias(const at::Tensor& values) const;

 private:
  std::string weight_name() const;  // of its parameter
};

class ModelLayers {
 public:
  explicit ModelLayers(StableDiffusionModel& model);

  const ModelLayer* find(const std::string& name) const;

  // The layer a network key prefix patches and the name it is known by there (`…_q_proj` of
  // an OpenCLIP attention names the attention), or nullopt when A1111 would ignore the key.
  // Diffusers-style UNet names are mapped with the model's own block counts (kohya's
  // convert_ldm_unet_checkpoint), which is A1111's formula for the released models.
  struct Match {
    std::string name;
    const ModelLayer* layer;
  };
  std::optional<Match> resolve(const std::string& key) const;

  const std::map<std::string, ModelLayer>& all() const { return layers_; }

 private:
  std::string compvis_name(const std::string& key) const;
  std::optional<Match> lookup(const std::string& name) const;

  std::map<std::string, ModelLayer> layers_;
  UNetConfig unet_;
  bool sd2_text_ = false;  // the single text encoder is OpenCLIP's (SD2.x)
};

}  // namespace atelier
