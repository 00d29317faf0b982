#include "core/pipeline/pipeline.h"

#include <ATen/core/grad_mode.h>

#include <chrono>
#include <random>

#include "core/error.h"
#include "core/models/attention.h"
#include "core/pipeline/latent_preview.h"
#include "core/pipeline/prompt_conditioning.h"
#include "core/pipeline/vae_tiling.h"
#include "core/sampling/sampling_run.h"

namespace atelier {
namespace {

using Clock = std::chrono::steady_clock;

// The largest slice of attention scores held at once in low-memory mode.
constexpr int64_t kLowMemoryAttentionBytes = int64_t{32} << 20;

// The user's choice, or for Auto whether the latent is large enough to need tiles.
bool use_tiling(GenerationParams::VaeTiling mode, int64_t latent_height, int64_t latent_width) {
  if (mode == GenerationParams::VaeTiling::Auto) return tiling_needed(latent_height, latent_width);
  return mode == GenerationParams::VaeTiling::On;
}

}  // namespace

std::int64_t random_seed() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, 4294967294)(engine);
}

Pipeline::Pipeline(const std::filesystem::path& model, DeviceChoice device, MemoryMode memory)
    : target_(resolve_target(device)),
      memory_(memory),
      model_(load_stable_diffusion(
          model, {target_.device, target_.dtype, target_.vae_dtype, /*stream_weights=*/memory == MemoryMode::Low})) {
  if (memory == MemoryMode::Low) model_.unet->set_batch_parts(2);  // the two halves of CFG
}

int64_t Pipeline::attention_slice_bytes() const {
  return memory_ == MemoryMode::Low ? kLowMemoryAttentionBytes : 0;
}

PromptConditioning Pipeline::encode_prompts(const std::string& prompt, const std::string& negative_prompt,
                                            int clip_skip) {
  const WeightsInUse weights(model_.text_encoder_weights.get(), *model_.text_encoder);
  const AttentionSliceLimit limit(attention_slice_bytes());
  PromptEncoder encoder(model_.text_encoder, ClipTokenizer::bundled(), clip_skip);
  PromptConditioning prompts{encoder.encode(prompt), encoder.encode(negative_prompt)};
  encoder.match_lengths(prompts.cond, prompts.uncond);
  return prompts;
}

// One UNet call on the batch [uncond, cond]; in low-memory mode the UNet runs the two halves one
// after the other (set_batch_parts), which halves the activations.
EpsModel Pipeline::guided_eps(const PromptConditioning& prompts, double cfg_scale, const std::atomic<bool>* cancel) {
  return [this, prompts, cfg_scale, cancel](const at::Tensor& x, const at::Tensor& t) {
    if (cancel && cancel->load()) throw Cancelled();
    const AttentionSliceLimit limit(attention_slice_bytes());
    const int64_t batch = x.size(0);
    const auto timesteps = t.dim() == 0 ? t.expand({batch}) : t;
    const auto uncond = prompts.uncond.expand({batch, -1, -1});
    const auto cond = prompts.cond.expand({batch, -1, -1});
    const auto eps =
        model_.unet->forward(at::cat({x, x}), at::cat({timesteps, timesteps}), at::cat({uncond, cond})).chunk(2);
    return eps[0] + (eps[1] - eps[0]) * cfg_scale;
  };
}

at::Tensor Pipeline::encode_init_image(const GenerationParams& params) {
  auto image = resize_for_generation(load_image(*params.init_image), params.width, params.height, params.resize_mode);
  auto pixels = image_to_tensor(image).to(target_.device, target_.vae_dtype);
  const auto& vae_config = model_.vae->config();
  const int factor = vae_config.downsample_factor();
  const bool tiled = use_tiling(params.vae_tiling, params.height / factor, params.width / factor);
  const WeightsInUse vae_weights(model_.vae_weights.get(), *model_.vae);
  const AttentionSliceLimit limit(attention_slice_bytes());
  auto mean = tiled ? encode_mean_tiled(model_.vae, pixels) : model_.vae->encode(pixels).mean;
  return (mean * vae_config.scale_factor).to(target_.dtype);
}

at::Tensor Pipeline::decode(const at::Tensor& latent, GenerationParams::VaeTiling tiling) {
  auto unscaled = (latent / model_.vae->config().scale_factor).to(target_.vae_dtype);
  const bool tiled = use_tiling(tiling, latent.size(2), latent.size(3));
  const WeightsInUse vae_weights(model_.vae_weights.get(), *model_.vae);
  const AttentionSliceLimit limit(attention_slice_bytes());
  return tiled ? decode_tiled(model_.vae, unscaled) : model_.vae->decode(unscaled);
}

std::vector<GeneratedImage> Pipeline::generate(GenerationParams params, const ProgressCallback& progress,
                                               const std::atomic<bool>* cancel) {
  validate(params);
  const auto choice = choose_sampler(params.sampler, params.schedule);
  if (params.seed == -1) params.seed = random_seed();
  configure_threads(params.threads);
  at::InferenceMode inference;
  const auto started = Clock::now();

  const auto prompts = encode_prompts(params.prompt, params.negative_prompt, params.clip_skip);
  const auto init_latent = params.init_image ? std::optional(encode_init_image(params)) : std::nullopt;

  const auto schedule = DiscreteSchedule::scaled_linear(model_.info.schedule.linear_start,
                                                        model_.info.schedule.linear_end, model_.info.schedule.timesteps);
  const int factor = model_.vae->config().downsample_factor();
  const std::vector<int64_t> latent_shape{params.batch_size, model_.info.unet.in_channels, params.height / factor,
                                          params.width / factor};
  const int image_count = params.batch_count * params.batch_size;

  std::vector<GeneratedImage> results;
  for (int batch = 0; batch < params.batch_count; ++batch) {
    const int first = batch * params.batch_size;
    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < params.batch_size; ++i) seeds.push_back(static_cast<std::uint64_t>(params.seed + first + i));
    BatchNoise noise(params.noise, seeds);

    const SamplingRun run{choice, params.steps, params.quantize_timesteps,
                          guided_eps(prompts, params.cfg_scale, cancel), schedule};
    StepCallback on_step = [&](int step, int total, const at::Tensor&, const at::Tensor& denoised) {
      if (cancel && cancel->load()) throw Cancelled();
      if (!progress) return;
      std::chrono::duration<double> elapsed = Clock::now() - started;
      progress({first, image_count, step + 1, total, elapsed.count(), preview_image(denoised[0])});
    };
    const auto initial_noise = noise.randn(latent_shape).to(target_.device, target_.dtype);
    const auto latent = init_latent ? run_img2img(run, *init_latent, params.denoising_strength, initial_noise, noise, on_step)
                                    : run_txt2img(run, initial_noise, noise, on_step);

    auto images = decode(latent, params.vae_tiling).to(at::kCPU, at::kFloat);
    for (int i = 0; i < params.batch_size; ++i) {
      GeneratedImage result{tensor_to_image(images.narrow(0, i, 1)), params, latent.narrow(0, i, 1).to(at::kCPU, at::kFloat)};
      result.params.seed = params.seed + first + i;
      results.push_back(std::move(result));
    }
  }
  return results;
}

}  // namespace atelier
