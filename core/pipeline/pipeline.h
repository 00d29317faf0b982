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

struct GeneratedImage {
  Image8 image;
  GenerationParams params;  // as run: this image's own seed, the model hash
  at::Tensor latent;        // final latent [1, C, h, w] (F32, CPU)
};

class Pipeline {
 public:
  // Loads the checkpoint on the target the policy picks for `device`.
  explicit Pipeline(const std::filesystem::path& model, DeviceChoice device = DeviceChoice::Auto);

  // Runs every batch of `params`. Cancellation (`cancel` set) is checked before each UNet call
  // and throws Cancelled; nothing is returned then.
  std::vector<GeneratedImage> generate(GenerationParams params, const ProgressCallback& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

  const StableDiffusionModel& model() const { return model_; }
  const ExecutionTarget& target() const { return target_; }

 private:
  at::Tensor encode_init_image(const GenerationParams& params);
  at::Tensor decode(const at::Tensor& latent, GenerationParams::VaeTiling tiling);

  ExecutionTarget target_;
  StableDiffusionModel model_;
};

// A seed for "random" (-1) requests, in A1111's range.
std::int64_t random_seed();

}  // namespace atelier
