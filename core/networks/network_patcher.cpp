#include "core/networks/network_patcher.h"

#include <ATen/core/grad_mode.h>

#include <iterator>

#include "core/error.h"

namespace atelier {
namespace {

// The parts of one OpenCLIP attention a network changes: A1111 changes it only when the
// network has all of q, k, v and out (networks.py network_apply_weights, MultiheadAttention).
struct AttentionParts {
  const NetworkModuleWeights *q = nullptr, *k = nullptr, *v = nullptr, *out = nullptr;
  const ModelLayer* out_layer = nullptr;
  bool complete() const { return q && k && v && out; }
};

}  // namespace

NetworkPatcher::NetworkPatcher(StableDiffusionModel& model, Misfits misfits)
    : misfits_(misfits), edits_(model.weight_edits), layers_(model) {
  if (edits_) edits_->set([this](torch::nn::Module& part, const std::string& except) { edit_streamed(part, except); });
}

NetworkPatcher::~NetworkPatcher() {
  if (edits_) edits_->set({});
}

ModuleDelta NetworkPatcher::delta(const ModelLayer& layer, const std::vector<int64_t>& weight_shape,
                                  const Change& change) {
  DeltaTarget target{weight_shape, layer.kind == ModelLayer::Kind::Convolution};
  if (change.fused_part >= 0) target.weight_shape[0] /= 3;
  return network_delta(*change.module, target, change.multiplier, change.dyn_dim);
}

std::pair<at::Tensor, at::Tensor> NetworkPatcher::changed(const LayerChanges& layer, const at::Tensor& weight,
                                                          const at::Tensor& bias) {
  auto sums = weight.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
  auto bias_sums = bias.defined() ? bias.to(at::kFloat, false, true) : at::Tensor();
  const auto shape = sums.sizes().vec();
  for (const auto& change : layer.changes) {
    const auto [weight_change, bias_change] = delta(*layer.layer, shape, change);
    const int64_t rows = shape[0] / 3;
    auto target = change.fused_part < 0 ? sums : sums.narrow(0, change.fused_part * rows, rows);
    target.add_(weight_change.to(sums.device()));
    if (bias_change.defined() && bias_sums.defined()) bias_sums.add_(bias_change.to(bias_sums.device()));
  }
  return {sums, bias_sums};
}

NetworkPatcher::Plan NetworkPatcher::plan(const std::vector<AppliedNetwork>& networks,
                                          std::vector<NetworkMatch>& matches) const {
  Plan plan;
  const auto add = [&](const ModelLayer& layer, const Change& change) {
    plan.try_emplace(layer.module, LayerChanges{&layer, {}}).first->second.changes.push_back(change);
  };
  for (std::size_t index = 0; index < networks.size(); ++index) {
    const AppliedNetwork& network = networks[index];
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
        add(layer, {&module, multiplier, network.dyn_dim, -1, index});
      }
    }
    for (const auto& [attention, parts] : attentions) {
      if (!parts.complete()) continue;
      const double multiplier = network.te_multiplier;
      add(*attention, {parts.q, multiplier, network.dyn_dim, 0, index});
      add(*attention, {parts.k, multiplier, network.dyn_dim, 1, index});
      add(*attention, {parts.v, multiplier, network.dyn_dim, 2, index});
      add(*parts.out_layer, {parts.out, multiplier, network.dyn_dim, -1, index});
    }
    matches.push_back(match);
  }
  return plan;
}

void NetworkPatcher::check_fit(Plan& plan, std::vector<NetworkMatch>& matches) const {
  for (auto entry = plan.begin(); entry != plan.end();) {
    LayerChanges& layer = entry->second;
    if (misfits_ == Misfits::Refuse && !layer.layer->stream) {  // changed() checks these as it sums
      ++entry;
      continue;
    }
    const auto shape = layer.layer->weight_shape();
    std::erase_if(layer.changes, [&](const Change& change) {
      try {
        delta(*layer.layer, shape, change);
        return false;
      } catch (const FormatError&) {
        if (misfits_ == Misfits::Refuse) throw;
        ++matches[change.network].misfits;
        return true;
      }
    });
    entry = layer.changes.empty() ? plan.erase(entry) : std::next(entry);
  }
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
  plan_.clear();
  applied_.clear();
  matches_.clear();
  std::vector<NetworkMatch> matches;
  auto plan = this->plan(networks, matches);
  check_fit(plan, matches);
  try {
    for (const auto& [module, changes] : plan) {
      const ModelLayer& layer = *changes.layer;
      if (layer.stream) continue;  // changed as they are read in (edit_streamed)
      auto& original = originals_[&layer];
      original.weight = layer.weight().clone();
      if (const auto bias = layer.bias(); bias.defined()) original.bias = bias.clone();
      const auto [weight, bias] = changed(changes, original.weight, original.bias);
      layer.set_weight(weight.to(original.weight.scalar_type()));
      if (original.bias.defined()) layer.set_bias(bias.to(original.bias.scalar_type()));
    }
  } catch (...) {
    write_originals();
    throw;
  }
  plan_ = std::move(plan);
  applied_ = networks;
  matches_ = matches;
  return matches_;
}

void NetworkPatcher::edit_streamed(torch::nn::Module& part, const std::string& except) const {
  if (plan_.empty()) return;
  at::NoGradGuard no_grad;
  for (const auto& item : part.named_modules("", /*include_self=*/true)) {
    if (!except.empty() && item.key().starts_with(except)) continue;
    const auto found = plan_.find(item.value().get());
    if (found == plan_.end()) continue;
    const ModelLayer& layer = *found->second.layer;
    const auto weight = layer.weight(), bias = layer.bias();
    const auto [sums, bias_sums] = changed(found->second, weight, bias);
    layer.set_weight(sums.to(weight.scalar_type()));
    if (bias.defined()) layer.set_bias(bias_sums.to(bias.scalar_type()));
  }
}

}  // namespace atelier
