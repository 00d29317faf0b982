#pragma once
// txt2img and img2img: prompt -> conditioning -> sampler loop (UNet + CFG) -> VAE decode.
#include <atomic>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/io/image.h"
#include "core/models/stable_diffusion.h"
#include "core/pipeline/device_policy.h"
#include "core/pipeline/generation_params.h"
#include "core/sampling/denoiser.h"

namespace atelier {

struct GenerationProgress {
  int image_index = 0;  // first image of the batch being sampled
  int image_count = 0;  // all images of the request
  int step = 0;         // 1-based step within the current batch
  int steps = 0;
  double elapsed_seconds = 0;  // since the request started
  Image8 preview;              // the current estimate of the first image of the batch, latent-sized
};
using ProgressCallback = std::function<void(const GenerationProgress&)>;

// The prompt's and the negative prompt's conditioning, padded to the same length.
struct PromptConditioning {
  at::Tensor cond, uncond;
};

struct GeneratedImage {
  Image8 image;
  GenerationParams params;  // as run: this image's own seed, the model hash
  at::Tensor latent;        // final latent [1, C, h, w] (F32, CPU)
};

// Low trades speed for memory: weights streamed from the checkpoint around each use, the two
// halves of classifier-free guidance run one after the other, attention in small slices.
enum class MemoryMode { Standard, Low };

class Pipeline {
 public:
  // Loads the checkpoint on the target the policy picks for `device`.
  explicit Pipeline(const std::filesystem::path& model, DeviceChoice device = DeviceChoice::Auto,
                    MemoryMode memory = MemoryMode::Standard);

  // Runs every batch of `params`. Cancellation (`cancel` set) is checked before each UNet call
  // and throws Cancelled; nothing is returned then.
  std::vector<GeneratedImage> generate(GenerationParams params, const ProgressCallback& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

  // The stages generate() runs, also timed one by one by the benchmark. Each needs an
  // at::InferenceMode in scope.
  PromptConditioning encode_prompts(const std::string& prompt, const std::string& negative_prompt, int clip_skip);
  // The UNet's ε with classifier-free guidance at `cfg_scale`.
  EpsModel guided_eps(const PromptConditioning& prompts, double cfg_scale, const std::atomic<bool>* cancel = nullptr);
  // A latent as the sampler leaves it (scaled) -> the image in about [-1, 1], [B, 3, H, W].
  at::Tensor decode(const at::Tensor& latent, GenerationParams::VaeTiling tiling);

  const StableDiffusionModel& model() const { return model_; }
  const ExecutionTarget& target() const { return target_; }
  MemoryMode memory_mode() const { return memory_; }

 private:
  at::Tensor encode_init_image(const GenerationParams& params);
  int64_t attention_slice_bytes() const;  // for AttentionSliceLimit: 0 when unlimited

  ExecutionTarget target_;
  MemoryMode memory_;
  StableDiffusionModel model_;
};

// A seed for "random" (-1) requests, in A1111's range.
std::int64_t random_seed();

}  // namespace atelier
