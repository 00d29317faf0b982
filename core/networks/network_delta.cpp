#include "core/networks/network_delta.h"

#include <c10/util/accumulate.h>

#include <optional>

#include "core/error.h"

namespace atelier {
namespace {

at::Tensor f32(const at::Tensor& tensor) { return tensor.to(at::kFloat); }

at::Tensor as_matrix(const at::Tensor& tensor) { return tensor.reshape({tensor.size(0), -1}); }

std::vector<int64_t> shape_of(at::IntArrayRef sizes) { return {sizes.begin(), sizes.end()}; }

// lyco_helpers.rebuild_conventional: (up @ down) in `shape`, optionally the first dyn ranks only.
at::Tensor conventional(const at::Tensor& up, const at::Tensor& down, const std::vector<int64_t>& shape, int dyn = 0) {
  auto u = as_matrix(up), d = as_matrix(down);
  if (dyn > 0) {
    u = u.narrow(1, 0, std::min<int64_t>(dyn, u.size(1)));
    d = d.narrow(0, 0, std::min<int64_t>(dyn, d.size(0)));
  }
  return at::matmul(u, d).reshape(shape);
}

// lyco_helpers.rebuild_cp_decomposition (LoCon with a Tucker core `lora_mid`).
at::Tensor cp_decomposition(const at::Tensor& up, const at::Tensor& down, const at::Tensor& mid) {
  return at::einsum("n m k l, i n, m j -> i j k l", {mid, as_matrix(up), as_matrix(down)});
}

// lyco_helpers.make_weight_cp: the Tucker core `t` with factors wa [r, out], wb [r, in].
at::Tensor weight_cp(const at::Tensor& t, const at::Tensor& wa, const at::Tensor& wb) {
  const auto temp = at::einsum("i j k l, j r -> i r k l", {t, wb});
  return at::einsum("i j k l, i r -> r j k l", {temp, wa});
}

struct Updown {
  at::Tensor updown;
  std::vector<int64_t> output_shape;
  std::optional<int64_t> dim;  // the rank alpha is divided by
  at::Tensor ex_bias;
  bool unscaled = false;       // the lora_A / lora_B form: A1111 keeps only those two tensors
};

Updown lora(const NetworkModuleWeights& m, const DeltaTarget& target, bool a_b_form, int dyn) {
  auto up = f32(*m.part(a_b_form ? "lora_B.weight" : "lora_up.weight"));
  auto down = f32(*m.part(a_b_form ? "lora_A.weight" : "lora_down.weight"));
  const at::Tensor* mid = a_b_form ? nullptr : m.part("lora_mid.weight");
  const int64_t rank = down.size(0);
  if (target.convolution) {
    // network_lora.create_module: 2-D factors of a convolution are 1×1 kernels.
    if (down.dim() == 2) down = down.reshape({down.size(0), -1, 1, 1});
    up = up.reshape({up.size(0), -1, 1, 1});
  } else {
    up = as_matrix(up);
    down = as_matrix(down);
  }
  std::vector<int64_t> shape{up.size(0), down.size(1)};
  Updown result;
  if (mid) {
    const auto core = f32(*mid);
    for (int64_t i = 2; i < core.dim(); ++i) shape.push_back(core.size(i));
    result.updown = cp_decomposition(up, down, core);
  } else {
    for (int64_t i = 2; i < down.dim(); ++i) shape.push_back(down.size(i));
    result.updown = conventional(up, down, shape, dyn);
  }
  result.output_shape = shape;
  result.dim = rank;
  result.unscaled = a_b_form;
  return result;
}

Updown hada(const NetworkModuleWeights& m) {
  const auto w1a = f32(*m.part("hada_w1_a")), w1b = f32(*m.part("hada_w1_b"));
  const auto w2a = f32(*m.part("hada_w2_a")), w2b = f32(*m.part("hada_w2_b"));
  const at::Tensor *t1 = m.part("hada_t1"), *t2 = m.part("hada_t2");
  std::vector<int64_t> shape{w1a.size(0), w1b.size(1)};
  at::Tensor first;
  if (t1) {
    // Tucker form: w1a is [rank, out].
    shape = {w1a.size(1), w1b.size(1)};
    for (int64_t i = 2; i < t1->dim(); ++i) shape.push_back(t1->size(i));
    first = weight_cp(f32(*t1), w1a, w1b);
  } else {
    for (int64_t i = 2; i < w1b.dim(); ++i) shape.push_back(w1b.size(i));
    first = conventional(w1a, w1b, shape);
  }
  const auto second = t2 ? weight_cp(f32(*t2), w2a, w2b) : conventional(w2a, w2b, shape);
  return {first * second, shape, w1b.size(0), {}};
}

Updown lokr(const NetworkModuleWeights& m, const DeltaTarget& target) {
  std::optional<int64_t> dim;
  at::Tensor w1, w2;
  if (const auto* full = m.part("lokr_w1")) {
    w1 = f32(*full);
  } else {
    w1 = at::matmul(f32(*m.part("lokr_w1_a")), f32(*m.part("lokr_w1_b")));
    dim = m.part("lokr_w1_b")->size(0);
  }
  if (const auto* full = m.part("lokr_w2")) {
    w2 = f32(*full);
  } else {
    const auto w2a = f32(*m.part("lokr_w2_a")), w2b = f32(*m.part("lokr_w2_b"));
    const at::Tensor* t2 = m.part("lokr_t2");
    w2 = t2 ? weight_cp(f32(*t2), w2a, w2b) : at::matmul(w2a, w2b);
    dim = w2b.size(0);
  }
  std::vector<int64_t> shape{w1.size(0) * w2.size(0), w1.size(1) * w2.size(1)};
  if (target.weight_shape.size() == 4) shape = shape_of(target.weight_shape);
  if (w2.dim() == 4) w1 = w1.unsqueeze(2).unsqueeze(2);
  return {at::kron(w1, w2.contiguous()).reshape(shape), shape, dim, {}};
}

Updown full(const NetworkModuleWeights& m) {
  const auto diff = f32(*m.part("diff"));
  const at::Tensor* bias = m.part("diff_b");
  return {diff, shape_of(diff.sizes()), std::nullopt, bias ? f32(*bias) : at::Tensor()};
}

Updown norm(const NetworkModuleWeights& m) {
  const auto weight = f32(*m.part("w_norm"));
  return {weight, shape_of(weight.sizes()), std::nullopt, f32(*m.part("b_norm"))};
}

bool has(const NetworkModuleWeights& m, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (!m.part(name)) return false;
  return true;
}

Updown updown_of(const NetworkModuleWeights& m, const DeltaTarget& target, int dyn) {
  // A weight-decomposed (DoRA) module would look like a plain LoRA and come out wrong.
  if (m.part("dora_scale"))
    throw UnsupportedModel("network module " + m.key + " is DoRA (dora_scale), which Atelier does not apply yet");
  // network_*.create_module, in A1111's order: the first type whose parts are all there.
  if (has(m, {"lora_up.weight", "lora_down.weight"})) return lora(m, target, false, dyn);
  if (has(m, {"lora_A.weight", "lora_B.weight"})) return lora(m, target, true, dyn);
  if (has(m, {"hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b"})) return hada(m);
  const bool w1 = m.part("lokr_w1") || has(m, {"lokr_w1_a", "lokr_w1_b"});
  const bool w2 = m.part("lokr_w2") || has(m, {"lokr_w2_a", "lokr_w2_b"});
  if (w1 && w2) return lokr(m, target);
  if (has(m, {"diff"})) return full(m);
  if (has(m, {"w_norm", "b_norm"})) return norm(m);
  std::string parts;
  for (const auto& [name, tensor] : m.parts) parts += (parts.empty() ? "" : ", ") + name;
  throw UnsupportedModel("network module " + m.key + " has parts (" + parts +
                         ") of a type Atelier does not apply (LoRA, LoCon, LoHa, LoKr, full and norm diffs are supported)");
}

// network.py calc_scale: an explicit `scale`, else alpha / rank, else 1.
double scale_of(const NetworkModuleWeights& m, const Updown& u) {
  if (u.unscaled) return 1.0;
  if (const auto* scale = m.part("scale")) return scale->item<double>();
  const auto* alpha = m.part("alpha");
  if (u.dim && alpha) return alpha->item<double>() / static_cast<double>(*u.dim);
  return 1.0;
}

}  // namespace

ModuleDelta network_delta(const NetworkModuleWeights& module, const DeltaTarget& target, double multiplier,
                          int dyn_dim) {
  Updown u;
  try {
    u = updown_of(module, target, dyn_dim);
    // finalize_updown: the computed shape, then the target's when the element counts agree.
    u.updown = u.updown.reshape(u.output_shape);
    const auto target_numel = c10::multiply_integers(target.weight_shape);
    if (u.updown.numel() == target_numel) u.updown = u.updown.reshape(target.weight_shape);
    // An inpainting UNet's first convolution takes 9 channels where the network knows 4: the
    // extra input channels get no change (A1111 pads with zeros).
    if (target.weight_shape.size() == 4 && target.weight_shape[1] == 9 && u.updown.dim() == 4 &&
        u.updown.size(1) == 4)
      u.updown = at::constant_pad_nd(u.updown, {0, 0, 0, 0, 0, 5});
  } catch (const c10::Error& e) {
    throw FormatError("network module " + module.key + " does not fit its layer of shape " +
                      c10::str(at::IntArrayRef(target.weight_shape)) + ": " + e.what_without_backtrace());
  }
  if (!u.updown.sizes().equals(target.weight_shape))
    throw FormatError("network module " + module.key + " changes a layer of shape " + c10::str(at::IntArrayRef(target.weight_shape)) +
                      " by a tensor of shape " + c10::str(u.updown.sizes()));
  // Two float32 products in A1111's order: (updown · scale) · multiplier.
  ModuleDelta delta{u.updown * scale_of(module, u) * multiplier, {}};
  if (u.ex_bias.defined()) delta.bias = u.ex_bias * multiplier;
  return delta;
}

}  // namespace atelier
