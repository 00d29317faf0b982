#include "core/sampling/noise.h"

#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/sampling/names.h"

namespace atelier {
namespace {

using PhiloxCounter = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// Philox4x32-10: ten multiply-xor rounds over the counter, with the key bumped between rounds.
PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey key) {
  constexpr std::uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  constexpr std::uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) key = {key[0] + kW0, key[1] + kW1};
    const std::uint64_t p0 = std::uint64_t{c[0]} * kM0;
    const std::uint64_t p1 = std::uint64_t{c[2]} * kM1;
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ key[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ key[1], static_cast<std::uint32_t>(p0)};
  }
  return c;
}

// Box-Muller on two 32-bit draws mapped to the centres of 2^32 bins of (0, 1] and (0, 2pi], in
// float as curand computes it; CUDA's randn keeps only the sine half.
float box_muller_sine(std::uint32_t a, std::uint32_t b) {
  constexpr float kInv2Pow32 = 2.3283064e-10f;
  constexpr float kTwoPiInv2Pow32 = kInv2Pow32 * 6.2831855f;
  const float u = static_cast<float>(a) * kInv2Pow32 + kInv2Pow32 / 2;
  const float v = static_cast<float>(b) * kTwoPiInv2Pow32 + kTwoPiInv2Pow32 / 2;
  return std::sqrt(-2.0f * std::log(u)) * std::sin(v);
}

}  // namespace

CpuNoise::CpuNoise(std::uint64_t seed) : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor CpuNoise::randn(at::IntArrayRef shape) { return at::randn(shape, generator_, at::kFloat); }

NvNoise::NvNoise(std::uint64_t seed) : seed_(seed) {}

at::Tensor NvNoise::randn(at::IntArrayRef shape) {
  at::Tensor out = at::empty(shape, at::kFloat);
  float* values = out.data_ptr<float>();
  const PhiloxKey key = {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)};
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const PhiloxCounter c = philox4x32_10({offset_, 0, static_cast<std::uint32_t>(i), 0}, key);
    values[i] = box_muller_sine(c[0], c[1]);
  }
  ++offset_;
  return out;
}

std::string_view to_string(NoiseKind kind) { return kind == NoiseKind::Cpu ? "cpu" : "nv"; }

NoiseKind parse_noise_kind(std::string_view name) {
  for (NoiseKind kind : {NoiseKind::Cpu, NoiseKind::Nv}) {
    if (same_name(name, to_string(kind))) return kind;
  }
  throw InvalidArgument("unknown noise source \"" + std::string(name) + "\"; valid: cpu, nv");
}

std::unique_ptr<NoiseSource> make_noise(NoiseKind kind, std::uint64_t seed) {
  if (kind == NoiseKind::Cpu) return std::make_unique<CpuNoise>(seed);
  return std::make_unique<NvNoise>(seed);
}

BatchNoise::BatchNoise(NoiseKind kind, const std::vector<std::uint64_t>& seeds) : kind_(kind), seeds_(seeds) {
  for (std::uint64_t seed : seeds) images_.push_back(make_noise(kind, seed));
}

at::Tensor BatchNoise::randn(at::IntArrayRef shape) {
  if (shape.empty() || shape[0] != static_cast<std::int64_t>(images_.size())) {
    throw InvalidArgument("noise for a batch of " + std::to_string(images_.size()) +
                          " images was asked for shape " + c10::str(shape));
  }
  std::vector<at::Tensor> draws;
  for (auto& image : images_) draws.push_back(image->randn(shape.slice(1)));
  return at::stack(draws);
}

}  // namespace atelier
