#pragma once
// Seeded Gaussian noise. Each image of a batch has its own source seeded with its own seed;
// the first draw is the initial latent noise and later draws (ancestral and SDE steps)
// continue the same stream, as A1111 does.
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace atelier {

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // Standard normal F32 numbers on the CPU; each call continues where the last one stopped.
  virtual at::Tensor randn(at::IntArrayRef shape) = 0;
};

// PyTorch's `torch.Generator('cpu').manual_seed(seed)` + `torch.randn` (mt19937): A1111's
// "RNG source: CPU", the same numbers whichever device runs the model.
class CpuNoise final : public NoiseSource {
 public:
  explicit CpuNoise(std::uint64_t seed);
  at::Tensor randn(at::IntArrayRef shape) override;

 private:
  at::Generator generator_;
};

// The numbers `torch.randn(..., device='cuda')` gives (Philox4x32-10 and Box-Muller), computed
// on the CPU: A1111's "RNG source: NV" (modules/rng_philox.py).
class NvNoise final : public NoiseSource {
 public:
  explicit NvNoise(std::uint64_t seed);
  at::Tensor randn(at::IntArrayRef shape) override;

 private:
  std::uint64_t seed_;
  std::uint32_t offset_ = 0;  // one Philox subsequence per call, as CUDA's generator advances
};

enum class NoiseKind { Cpu, Nv };

std::string_view to_string(NoiseKind kind);         // "cpu", "nv"
NoiseKind parse_noise_kind(std::string_view name);  // case-insensitive; throws InvalidArgument
std::unique_ptr<NoiseSource> make_noise(NoiseKind kind, std::uint64_t seed);

// A batch: randn([B, ...]) stacks what each image's own source draws for [...].
class BatchNoise final : public NoiseSource {
 public:
  BatchNoise(NoiseKind kind, const std::vector<std::uint64_t>& seeds);
  at::Tensor randn(at::IntArrayRef shape) override;  // throws InvalidArgument unless shape[0] == B

  NoiseKind kind() const { return kind_; }
  const std::vector<std::uint64_t>& seeds() const { return seeds_; }
  NoiseSource& image(std::size_t index) { return *images_.at(index); }  // the stream of one image

 private:
  NoiseKind kind_;
  std::vector<std::uint64_t> seeds_;
  std::vector<std::unique_ptr<NoiseSource>> images_;
};

}  // namespace atelier
