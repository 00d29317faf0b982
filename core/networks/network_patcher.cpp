#include "core/networks/network_patcher.h"

#include <ATen/core/grad_mode.h>

#include "core/networks/network_delta.h"

namespace atelier {
namespace {

// The parts of one OpenCLIP attention a network changes: A1111 changes it only when the
// network has all of q, k, v and out (networks.py network_apply_weights, MultiheadAttention).
struct AttentionParts {
  const NetworkModuleWeights *q = nullptr, *k = nullptr, *v = nullptr, *out = nullptr;
  const ModelLayer* out_layer = nullptr;
  bool complete() const { return q && k && v && out; }
};

DeltaTarget target_of(const at::Tensor& weight, const ModelLayer& layer) {
  return {weight.sizes().vec(), layer.kind == ModelLayer::Kind::Convolution};
}

}  // namespace

NetworkPatcher::NetworkPatcher(StableDiffusionModel& model) : layers_(model) {}

NetworkPatcher::Pending& NetworkPatcher::pending_for(std::map<const ModelLayer*, Pending>& pending,
                                                     const ModelLayer& layer) {
  auto [slot, added] = pending.try_emplace(&layer);
  if (added) {
    auto [original, first_change] = originals_.try_emplace(&layer);
    if (first_change) {
      original->second.weight = layer.weight().clone();
      if (const auto bias = layer.bias(); bias.defined()) original->second.bias = bias.clone();
    }
    slot->second.weight = original->second.weight.to(at::kFloat);
    if (original->second.bias.defined()) slot->second.bias = original->second.bias.to(at::kFloat);
  }
  return slot->second;
}

void NetworkPatcher::write_originals() {
  for (const auto& [layer, original] : originals_) {
    layer->set_weight(original.weight);
    if (original.bias.defined()) layer->set_bias(original.bias);
  }
  originals_.clear();
}

std::vector<NetworkMatch> NetworkPatcher::apply(const std::vector<AppliedNetwork>& networks) {
  if (networks == applied_) return matches_;
  at::NoGradGuard no_grad;
  write_originals();
  applied_.clear();
  matches_.clear();
  std::map<const ModelLayer*, Pending> pending;
  // Sums are out of place: a pending weight may still be the original's own tensor.
  const auto add = [&](const ModelLayer& layer, const ModuleDelta& delta, int64_t row = -1) {
    Pending& sums = pending_for(pending, layer);
    const auto change = delta.weight.to(sums.weight.device());
    if (row < 0) {
      sums.weight = sums.weight + change;
    } else {
      sums.weight = sums.weight.clone();
      sums.weight.narrow(0, row, change.size(0)).add_(change);
    }
    if (delta.bias.defined() && sums.bias.defined()) sums.bias = sums.bias + delta.bias.to(sums.bias.device());
  };
  std::vector<NetworkMatch> matches;
  try {
    for (const auto& network : networks) {
      NetworkMatch match{network.name, static_cast<int>(network.file->modules.size()), 0};
      std::map<const ModelLayer*, AttentionParts> attentions;
      for (const auto& module : network.file->modules) {
        const auto found = layers_.resolve(module.key);
        if (!found) continue;
        ++match.matched;
        const ModelLayer& layer = *found->layer;
        const double multiplier = layer.text_encoder ? network.te_multiplier : network.unet_multiplier;
        if (layer.kind == ModelLayer::Kind::Attention) {
          auto& parts = attentions[&layer];
          const char projection = found->name[found->name.size() - 6];  // "…_q_proj"
          (projection == 'q' ? parts.q : projection == 'k' ? parts.k : parts.v) = &module;
        } else if (layer.inside_attention) {
          const auto* attention = layers_.find(found->name.substr(0, found->name.size() - 9));  // "_out_proj"
          attentions[attention].out = &module;
          attentions[attention].out_layer = &layer;
        } else {
          add(layer, network_delta(module, target_of(layer.weight(), layer), multiplier, network.dyn_dim));
        }
      }
      for (const auto& [attention, parts] : attentions) {
        if (!parts.complete()) continue;
        const double multiplier = network.te_multiplier;
        const auto fused = attention->weight();
        const int64_t width = fused.size(0) / 3;
        const auto q_part = fused.narrow(0, 0, width);
        const DeltaTarget projection{q_part.sizes().vec(), false};
        add(*attention, network_delta(*parts.q, projection, multiplier, network.dyn_dim), 0);
        add(*attention, network_delta(*parts.k, projection, multiplier, network.dyn_dim), width);
        add(*attention, network_delta(*parts.v, projection, multiplier, network.dyn_dim), 2 * width);
        add(*parts.out_layer, network_delta(*parts.out, target_of(parts.out_layer->weight(), *parts.out_layer),
                                            multiplier, network.dyn_dim));
      }
      matches.push_back(match);
    }
    for (const auto& [layer, sums] : pending) {
      const auto& original = originals_.at(layer);
      layer->set_weight(sums.weight.to(original.weight.scalar_type()));
      if (original.bias.defined()) layer->set_bias(sums.bias.to(original.bias.scalar_type()));
    }
  } catch (...) {
    write_originals();
    throw;
  }
  applied_ = networks;
  matches_ = matches;
  return matches_;
}

}  // namespace atelier
