#pragma once
// A1111's hires fix (modules/processing.py, StableDiffusionProcessingTxt2Img): the txt2img result
// upscaled, in latent space or as pixels, then refined by an img2img pass at the larger size.
#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pipeline/hires_size.h"
#include "core/pipeline/pipeline.h"
#include "core/sampling/sampling_run.h"
#include "core/sampling/seed_variation.h"
#include "core/upscale/upscaler.h"

namespace atelier {

// A1111's latent upscale modes (shared.latent_upscale_modes): torch's interpolate with these
// modes, align_corners false.
struct LatentUpscaleMode {
  enum class Filter { Nearest, NearestExact, Bilinear, Bicubic } filter;
  bool antialias;
};

// "Latent" (bilinear), "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic
// antialiased)", "Latent (nearest)", "Latent (nearest-exact)"; nullopt for any other name (a
// pixel upscaler's).
std::optional<LatentUpscaleMode> latent_upscale_mode(std::string_view upscaler);

// Those names, in A1111's order (shared.latent_upscale_modes).
std::vector<std::string> latent_upscale_mode_names();
// A1111's Hires upscaler choices that are no model file: the latent modes, then kBuiltInUpscalers.
std::vector<std::string> built_in_hires_upscalers();

// torch.nn.functional.interpolate(latent, size=(height, width), mode=..., antialias=...).
at::Tensor upscale_latent(const at::Tensor& latent, LatentUpscaleMode mode, std::int64_t height, std::int64_t width);

// The second pass, set up once for every batch of a request.
class HiresFix {
 public:
  // Opens the upscaler and the sampler and encodes the hires prompts (the first pass's when
  // empty; their networks must be the prompt's, which are applied), so that a bad name fails
  // before the first pass runs. `params` are the request's, as validate() accepts them. With a
  // `refiner` (SDXL), the second pass hands over to it at refiner_switch_at, as A1111 does by
  // default ("Hires fix: which pass to enable refiner for": second pass); the first pass has none.
  HiresFix(Pipeline& pipeline, const GenerationParams& params, StableDiffusionModel* refiner = nullptr);

  // The second pass's steps: hires_steps, or the first pass's when 0.
  int steps() const { return steps_; }

  // The first pass's latent [B, C, h, w] upscaled and cropped to the second pass's size: a latent
  // mode interpolates it; a pixel upscaler runs on the decoded images (resized to the target with
  // Lanczos where it falls short of it, as A1111's resize_image) and the VAE encodes the result.
  at::Tensor upscale(const at::Tensor& first_pass);

  // The second pass over a batch: img2img of upscale(first_pass) at denoising_strength for
  // steps() steps, from fresh noise of the images' `seeds` and `variation` drawn at the new size
  // (A1111 makes a new ImageRNG of the same seeds).
  at::Tensor run(const at::Tensor& first_pass, const std::vector<std::uint64_t>& seeds, const SeedVariation& variation,
                 const StepCallback& on_step, const std::atomic<bool>* cancel = nullptr);
  // Whether the refiner took over in the last run(): its VAE then decodes, as A1111's.
  bool refined() const { return refined_; }

 private:
  Pipeline& pipeline_;
  GenerationParams params_;
  HiresSize size_;
  std::optional<LatentUpscaleMode> latent_mode_;
  std::optional<Upscaler> upscaler_;  // a pixel upscaler; none for "None" (Lanczos to the size)
  SamplerChoice sampler_;
  int steps_;
  PromptConditioning prompts_;
  StableDiffusionModel* refiner_;
  PromptConditioning refiner_prompts_;  // the hires prompts as the refiner's encoders see them
  bool refined_ = false;
};

}  // namespace atelier
