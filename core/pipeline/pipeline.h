#pragma once
// txt2img and img2img: prompt -> conditioning -> sampler loop (UNet + CFG) -> VAE decode.
#include <atomic>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/io/image.h"
#include "core/library/model_kind.h"
#include "core/models/stable_diffusion.h"
#include "core/networks/addon_folders.h"
#include "core/networks/network_patcher.h"
#include "core/pipeline/device_policy.h"
#include "core/pipeline/generation_params.h"
#include "core/pipeline/inpainting.h"
#include "core/pipeline/latent_preview.h"
#include "core/pipeline/prompt_conditioning.h"
#include "core/sampling/denoiser.h"

namespace atelier {

struct GenerationProgress {
  int image_index = 0;  // first image of the batch being sampled
  int image_count = 0;  // all images of the request
  int step = 0;         // 1-based step within the current batch
  int steps = 0;
  double elapsed_seconds = 0;  // since the request started
  // The current estimate of the first image of the batch, drawn when called (during the
  // callback only): full-sized with a TAESD decoder in the preview folders, else latent-sized.
  std::function<Image8()> preview;
};
using ProgressCallback = std::function<void(const GenerationProgress&)>;

// The prompt's and the negative prompt's conditioning, over the steps.
struct PromptConditioning {
  ScheduledConditioning cond, uncond;
  std::vector<std::pair<std::string, std::string>> ti_hashes;  // embeddings used: name, short hash
};

struct GeneratedImage {
  Image8 image;
  GenerationParams params;  // as run: this image's own seed, the model hash
  at::Tensor latent;        // final latent [1, C, h, w] (F32, CPU)
  // What the user should know about the run, as A1111's comments: networks that did not fit
  // the refiner, embeddings the prompt names whose files could not be read.
  std::vector<std::string> notes;
};

// Low trades speed for memory: weights streamed from the checkpoint around each use, the two
// halves of classifier-free guidance run one after the other, attention in small slices.
enum class MemoryMode { Standard, Low };

class Pipeline {
 public:
  // Loads the checkpoint on the target the policy picks for `device` and `precision`.
  explicit Pipeline(const std::filesystem::path& model, DeviceChoice device = DeviceChoice::Auto,
                    MemoryMode memory = MemoryMode::Standard, Precision precision = Precision::Auto);

  // Runs every batch of `params`. Cancellation (`cancel` set) is checked before each UNet call
  // and throws Cancelled; nothing is returned then.
  std::vector<GeneratedImage> generate(GenerationParams params, const ProgressCallback& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

  // The stages generate() runs, also timed one by one by the benchmark. Each needs an
  // at::InferenceMode in scope.
  // The prompt and negative prompt of `params` over its steps as its sampler counts them
  // (prompt_editing_steps; `schedule`: of a hires pass), at its size (SDXL's size
  // conditioning), for the main model or the refiner.
  PromptConditioning encode_prompts(const GenerationParams& params, const ScheduleOptions& schedule = {}) {
    return encode_prompts(model_, params, schedule);
  }
  PromptConditioning encode_prompts(const StableDiffusionModel& model, const GenerationParams& params,
                                    const ScheduleOptions& schedule = {});
  // The UNet's output (ε or v) with classifier-free guidance at `cfg_scale`: one batched call
  // on [uncond, cond], or two calls when their contexts differ in length (A1111's default,
  // pad_cond_uncond off). Each call takes the conditioning of the step it counts (prompt
  // editing), continuing `step` when given (the refiner carries on the base's count). With
  // `last_uncond` (CFG++) every call stores its unconditional output there, also at CFG 1.
  EpsModel guided_eps(const PromptConditioning& prompts, double cfg_scale, const std::atomic<bool>* cancel = nullptr) {
    return guided_eps(model_, prompts, cfg_scale, cancel);
  }
  EpsModel guided_eps(const StableDiffusionModel& model, const PromptConditioning& prompts, double cfg_scale,
                      const std::atomic<bool>* cancel = nullptr, std::shared_ptr<int> step = nullptr,
                      std::shared_ptr<at::Tensor> last_uncond = nullptr);
  // A latent as the sampler leaves it (scaled) -> the image in about [-1, 1], [B, 3, H, W], by
  // `model`'s VAE (the main model's by default).
  at::Tensor decode(const at::Tensor& latent, GenerationParams::VaeTiling tiling,
                    StableDiffusionModel* model = nullptr);

  // The scaled posterior mean of pixels [1, 3, H, W] in [-1, 1].
  at::Tensor encode_latent(const at::Tensor& pixels, GenerationParams::VaeTiling tiling);
  // An inpainting model's c_concat: the mask's latent-size 'nearest' sample and the latent of
  // `source` with the masked area set to 0 (grey), as A1111's inpainting_image_conditioning.
  at::Tensor inpainting_concat(const at::Tensor& source, const at::Tensor& mask, GenerationParams::VaeTiling tiling);

  // Where the prompt's networks and embeddings and the VAE choice's VAEs are found by name.
  void set_addon_folders(std::shared_ptr<const AddonFolders> folders) { addons_ = std::move(folders); }
  const AddonFolders& addon_folders() const { return *addons_; }
  // Where a hires fix's upscaler files are found by name (core/upscale/upscaler.h's open_upscaler).
  void set_upscaler_finder(ModelResolver find) { upscalers_ = std::move(find); }
  const ModelResolver& upscaler_finder() const { return upscalers_; }
  // The standalone VAE `params` decode with (core/pipeline/vae_choice.h), nullopt for the model's own.
  std::optional<std::filesystem::path> vae_for(const GenerationParams& params) const;
  // The model's weights with the networks `prompt`'s `<lora:…>` tags ask for (the originals
  // when none), the prompt without its tags returned. A network not found by name is looked
  // up by its hash in `recorded` (a re-run's "Lora hashes"); InvalidArgument names every one
  // still not found. `used` receives each network's name and short hash.
  using NameHashes = std::vector<std::pair<std::string, std::string>>;
  std::string apply_networks(const std::string& prompt, const NameHashes& recorded = {}, NameHashes* used = nullptr);

  // The embeddings in the embedding folders, read again when the files change.
  const std::vector<TextualInversion>& embeddings();

  // The live preview for the main model's latents: TAESD when the preview folders hold the
  // family's decoder (loaded once, kept while the file is unchanged), else the cheap one.
  LivePreview live_preview();

  // The refiner at `path`, loaded on first use and kept until another is asked for.
  StableDiffusionModel& refiner(const std::filesystem::path& path);
  // The main model's networks (apply_networks) on the refiner too, as A1111 applies them: to
  // the layers they fit. Returns A1111's "Networks with errors" note when some did not fit.
  std::vector<std::string> apply_networks_to_refiner(StableDiffusionModel& refiner);
  // A note for each embedding file named in `text` that could not be read (its name is then
  // only text), as of the last embeddings().
  std::vector<std::string> unreadable_embeddings_in(const std::string& text) const;

  const StableDiffusionModel& model() const { return model_; }
  const ExecutionTarget& target() const { return target_; }
  MemoryMode memory_mode() const { return memory_; }

 private:
  int64_t attention_slice_bytes() const;  // for AttentionSliceLimit: 0 when unlimited
  // Low memory: frees the streamed-weight blocks no part holds now (WeightPool).
  void let_go_of_free_weight_memory();

  StableDiffusionModel load(const std::filesystem::path& path) const;

  ExecutionTarget target_;
  MemoryMode memory_;
  StableDiffusionModel model_;
  std::optional<StableDiffusionModel> refiner_;
  std::shared_ptr<const AddonFolders> addons_ = std::make_shared<const AddonFolders>();
  ModelResolver upscalers_;
  std::unique_ptr<NetworkPatcher> patcher_;  // made when a network is first asked for
  std::unique_ptr<NetworkPatcher> refiner_patcher_;  // of refiner_, likewise
  struct CachedNetwork {
    std::filesystem::file_time_type modified;
    std::shared_ptr<const NetworkFile> file;
    std::string short_hash;
  };
  std::map<std::filesystem::path, CachedNetwork> network_files_;
  struct CachedPreviewDecoder {
    std::filesystem::path path;
    std::filesystem::file_time_type modified;
    std::shared_ptr<const TaesdDecoder> decoder;
  } preview_decoder_;
  std::vector<std::filesystem::path> embedding_files_;
  std::vector<std::filesystem::file_time_type> embedding_times_;
  std::vector<TextualInversion> embeddings_;
  std::vector<std::pair<std::filesystem::path, std::string>> unreadable_embeddings_;  // and why
};

// A seed for "random" (-1) requests, in A1111's range.
std::int64_t random_seed();

}  // namespace atelier
