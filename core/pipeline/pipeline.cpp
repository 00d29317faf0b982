#include "core/pipeline/pipeline.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <tuple>

#include "core/error.h"
#include "core/models/attention.h"
#include "core/models/layers.h"
#include "core/models/model_source.h"
#include "core/models/standalone_vae.h"
#include "core/pipeline/hires_fix.h"
#include "core/pipeline/inpaint_plan.h"
#include "core/pipeline/masked_content.h"
#include "core/pipeline/vae_choice.h"
#include "core/pipeline/vae_tiling.h"
#include "core/sampling/sampler_registry.h"
#include "core/sampling/sampling_run.h"
#include "core/sampling/seed_variation.h"
#include "core/text/extra_networks.h"

namespace atelier {
namespace {

using Clock = std::chrono::steady_clock;

// A1111's sdxl_refiner_low_aesthetic_score: the refiner's aesthetic score for the negative prompt.
constexpr double kNegativeAestheticScore = 2.5;

// The largest slice of attention scores held at once in low-memory mode.
constexpr int64_t kLowMemoryAttentionBytes = int64_t{32} << 20;

// The user's choice, or for Auto whether the latent is large enough to need tiles; never for a
// VAE padding circularly (Tiling), whose tiles would each wrap onto themselves.
bool use_tiling(GenerationParams::VaeTiling mode, int64_t latent_height, int64_t latent_width,
                AutoencoderKLImpl& vae) {
  if (pads_circularly(vae)) return false;
  if (mode == GenerationParams::VaeTiling::Auto) return tiling_needed(latent_height, latent_width);
  return mode == GenerationParams::VaeTiling::On;
}

// A1111's Tiling: circular padding in the UNet's and the VAE's convolutions (the text encoders
// have none), zeros again when off.
void use_circular_padding(StableDiffusionModel& model, bool tiling) {
  set_circular_padding(*model.unet, tiling);
  set_circular_padding(*model.vae, tiling);
}

// The seed of the batch's `index`-th image, as A1111 numbers them: one after the other, except
// that a variation keeps the seed and counts up the variation seed instead.
std::int64_t image_seed(const GenerationParams& params, int index) {
  return params.seed + (params.variation_strength == 0 ? index : 0);
}

std::vector<std::uint64_t> batch_seeds(const GenerationParams& params, int first) {
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < params.batch_size; ++i) seeds.push_back(static_cast<std::uint64_t>(image_seed(params, first + i)));
  return seeds;
}

}  // namespace

std::int64_t random_seed() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, 4294967294)(engine);
}

Pipeline::Pipeline(const std::filesystem::path& model, DeviceChoice device, MemoryMode memory, Precision precision)
    : target_(resolve_target(device, precision)), memory_(memory), model_(load(model)) {}

StableDiffusionModel Pipeline::load(const std::filesystem::path& path) const {
  // The text encoders read their weights in for each prompt in either mode: for SDXL about 2 s
  // more a prompt on 2 cores, for 3.3 GB less held through sampling and the VAE decode.
  auto model = load_stable_diffusion(path, {target_.device, target_.dtype, target_.vae_dtype,
                                            /*stream_weights=*/memory_ == MemoryMode::Low,
                                            /*stream_text_encoders=*/true});
  if (memory_ == MemoryMode::Low) model.unet->set_batch_parts(2);  // the two halves of CFG
  return model;
}

std::optional<std::filesystem::path> Pipeline::vae_for(const GenerationParams& params) const {
  return resolve_vae(params.vae, model_.info.path, *addons_, params.vae_hash);
}

std::string Pipeline::apply_networks(const std::string& prompt, const NameHashes& recorded, NameHashes* used) {
  const auto parsed = remove_extra_network_tags(prompt);
  const auto requests = network_requests(parsed.tags);
  if (requests.empty() && !patcher_) return parsed.text;
  std::vector<AppliedNetwork> networks;
  std::string missing;
  for (const auto& request : requests) {
    auto path = addons_->find_network(request.name);
    for (const auto& [name, hash] : recorded)
      if (!path && name == request.name) path = addons_->find_by_hash(AddonKind::Network, hash);
    if (!path) {
      missing += (missing.empty() ? "" : ", ") + request.name;
      continue;
    }
    auto& cached = network_files_[*path];
    const auto modified = std::filesystem::last_write_time(*path);
    if (!cached.file || cached.modified != modified) {
      cached.file = std::make_shared<const NetworkFile>(read_network_file(*path));
      cached.short_hash = network_short_hash(*cached.file);
      cached.modified = modified;
    }
    networks.push_back({request.name, cached.file, request.te_multiplier, request.unet_multiplier, request.dyn_dim});
    if (used) used->emplace_back(request.name, cached.short_hash);
  }
  if (!missing.empty()) {
    std::string folders;
    for (const auto& folder : addons_->folders().networks) folders += (folders.empty() ? "" : ", ") + folder.string();
    throw InvalidArgument("LoRA not found: " + missing + (folders.empty() ? " (no LoRA folder is set)" : " (looked in " + folders + ")"));
  }
  if (!patcher_) patcher_ = std::make_unique<NetworkPatcher>(model_);
  patcher_->apply(networks);
  return parsed.text;
}

const std::vector<TextualInversion>& Pipeline::embeddings() {
  const auto files = addons_->embedding_files();
  std::vector<std::filesystem::file_time_type> times;
  for (const auto& file : files) times.push_back(std::filesystem::last_write_time(file));
  if (files == embedding_files_ && times == embedding_times_) return embeddings_;
  embeddings_.clear();
  unreadable_embeddings_.clear();
  for (const auto& file : files) {
    try {
      embeddings_.push_back(read_textual_inversion(file));
    } catch (const Error& error) {
      // As A1111: a file that holds no embedding is not a word; the others still are.
      unreadable_embeddings_.emplace_back(file, error.what());
    }
  }
  embedding_files_ = files;
  embedding_times_ = times;
  return embeddings_;
}

std::vector<std::string> Pipeline::unreadable_embeddings_in(const std::string& text) const {
  const auto lower = [](std::string word) {
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
    return word;
  };
  const auto is_word_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; };
  const std::string haystack = lower(text);
  std::vector<std::string> notes;
  for (const auto& [file, reason] : unreadable_embeddings_) {
    // The tokenizer lowercases, so A1111 matches an embedding's word in any case.
    const std::string word = lower(file.stem().string());
    for (auto at = haystack.find(word); at != std::string::npos; at = haystack.find(word, at + 1)) {
      const auto end = at + word.size();
      if ((at == 0 || !is_word_char(haystack[at - 1])) && (end == haystack.size() || !is_word_char(haystack[end]))) {
        notes.push_back("The embedding " + file.stem().string() + " could not be read, so the prompt uses the word as text: " +
                        reason);
        break;
      }
    }
  }
  return notes;
}

std::vector<std::string> Pipeline::apply_networks_to_refiner(StableDiffusionModel& refiner) {
  const auto& networks = patcher_ ? patcher_->applied() : std::vector<AppliedNetwork>{};
  if (networks.empty() && !refiner_patcher_) return {};
  if (!refiner_patcher_) refiner_patcher_ = std::make_unique<NetworkPatcher>(refiner, Misfits::Skip);
  std::string misfits;
  for (const auto& match : refiner_patcher_->apply(networks))
    if (match.misfits > 0) misfits += (misfits.empty() ? "" : ", ") + match.name + " (" + std::to_string(match.misfits) + ")";
  if (misfits.empty()) return {};
  return {"Networks with errors: " + misfits + ". Those modules do not fit the refiner's layers and leave them unchanged."};
}

StableDiffusionModel& Pipeline::refiner(const std::filesystem::path& path) {
  if (!refiner_ || refiner_->info.path != path) {
    refiner_patcher_.reset();  // it holds the old refiner's layers
    refiner_.reset();  // the old one's memory is free before the new one loads
    refiner_ = load(path);
  }
  return *refiner_;
}

LivePreview Pipeline::live_preview() {
  const bool sdxl = model_.info.family == ModelFamily::SDXLBase || model_.info.family == ModelFamily::SDXLRefiner;
  const auto file = addons_->find_preview_decoder(sdxl ? "taesdxl_decoder" : "taesd_decoder");
  if (!file) return {};
  std::error_code error;
  const auto modified = std::filesystem::last_write_time(*file, error);
  auto& cached = preview_decoder_;
  if (!cached.decoder || cached.path != *file || cached.modified != modified) {
    auto decoder = std::make_shared<TaesdDecoder>(*open_weights_file(*file));
    if (decoder->latent_channels() != model_.info.unet.out_channels)
      throw FormatError(file->string() + ": a TAESD decoder for " + std::to_string(decoder->latent_channels()) +
                        "-channel latents, not this model's " + std::to_string(model_.info.unet.out_channels));
    decoder->to(target_.device, target_.dtype);
    cached = {*file, modified, std::move(decoder)};
  }
  return LivePreview(cached.decoder);
}

void Pipeline::let_go_of_free_weight_memory() {
  for (auto* model : {&model_, refiner_ ? &*refiner_ : nullptr})
    if (model && model->weight_pool) model->weight_pool->let_go_of_free_blocks();
}

int64_t Pipeline::attention_slice_bytes() const {
  return memory_ == MemoryMode::Low ? kLowMemoryAttentionBytes : 0;
}

PromptConditioning Pipeline::encode_prompts(const StableDiffusionModel& model, const GenerationParams& params,
                                            const ScheduleOptions& schedule) {
  auto weights = std::make_optional<TextEncodersInUse>(model);
  const AttentionSliceLimit limit(attention_slice_bytes());
  Conditioner conditioner(model, ClipTokenizer::bundled(), params.clip_skip, embeddings());
  const int steps = prompt_editing_steps(*choose_sampler(params.sampler, params.schedule).sampler, params.steps);
  PromptConditioning prompts;
  prompts.cond = conditioner.encode_schedule(params.prompt, steps,
                                             ImageConditioning::of_size(params.width, params.height), false, schedule);
  prompts.uncond = conditioner.encode_schedule(
      params.negative_prompt, steps,
      ImageConditioning::of_size(params.width, params.height, kNegativeAestheticScore), /*negative=*/true, schedule);
  for (const auto* embedding : conditioner.used_embeddings())
    prompts.ti_hashes.emplace_back(embedding->name, embedding->short_hash);
  weights.reset();
  let_go_of_free_weight_memory();  // the text encoders' blocks are not needed until the next prompt
  return prompts;
}

EpsModel Pipeline::guided_eps(const StableDiffusionModel& model, const PromptConditioning& prompts, double cfg_scale,
                               const std::atomic<bool>* cancel, std::shared_ptr<int> step,
                               std::shared_ptr<at::Tensor> last_uncond) {
  if (!step) step = std::make_shared<int>(0);
  return [this, unet = model.unet.ptr(), prompts, cfg_scale, cancel, step, last_uncond](const at::Tensor& x,
                                                                                       const at::Tensor& t) {
    if (cancel && cancel->load()) throw Cancelled();
    const Conditioning& at_cond = prompts.cond.at(*step);
    const Conditioning& at_uncond = prompts.uncond.at(*step);
    ++*step;
    const AttentionSliceLimit limit(attention_slice_bytes());
    const int64_t batch = x.size(0);
    const auto timesteps = t.dim() == 0 ? t.expand({batch}) : t;
    // Each prompt's conditioning repeated for the batch: [B, ...].
    auto per_image = [batch](const at::Tensor& c) {
      if (!c.defined()) return c;
      std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
      shape[0] = batch;
      return c.expand(shape);
    };
    auto both = [](const at::Tensor& u, const at::Tensor& c) { return u.defined() ? at::cat({u, c}) : u; };
    const Conditioning uncond{per_image(at_uncond.context), per_image(at_uncond.vector), {}};
    const Conditioning cond{per_image(at_cond.context), per_image(at_cond.vector), {}};
    // The image channels are the same for both halves.
    const at::Tensor input = at_cond.concat.defined() ? at::cat({x, per_image(at_cond.concat)}, 1) : x;
    // At CFG 1 the guided output is the conditional one: the unconditional half is not run, as
    // ComfyUI does, which halves the step (few-step models run at CFG 1).
    if (cfg_scale == 1.0 && !last_uncond) return unet->forward(input, timesteps, cond.context, cond.vector);
    at::Tensor out_uncond, out_cond;
    if (uncond.context.size(1) == cond.context.size(1)) {
      const auto out = unet->forward(at::cat({input, input}), at::cat({timesteps, timesteps}),
                                            both(uncond.context, cond.context), both(uncond.vector, cond.vector))
                           .chunk(2);
      out_uncond = out[0], out_cond = out[1];
    } else {
      out_uncond = unet->forward(input, timesteps, uncond.context, uncond.vector);
      out_cond = unet->forward(input, timesteps, cond.context, cond.vector);
    }
    if (last_uncond) *last_uncond = out_uncond;
    return out_uncond + (out_cond - out_uncond) * cfg_scale;
  };
}

at::Tensor Pipeline::encode_latent(const at::Tensor& pixels, GenerationParams::VaeTiling tiling) {
  const auto& vae_config = model_.vae->config();
  const int factor = vae_config.downsample_factor();
  const bool tiled = use_tiling(tiling, pixels.size(2) / factor, pixels.size(3) / factor, *model_.vae);
  const auto on_target = pixels.to(target_.device, target_.vae_dtype);
  const WeightsInUse vae_weights(model_.vae_weights.get(), *model_.vae);
  const AttentionSliceLimit limit(attention_slice_bytes());
  auto mean = tiled ? encode_mean_tiled(model_.vae, on_target) : model_.vae->encode(on_target).mean;
  return (mean * vae_config.scale_factor).to(target_.dtype);
}

at::Tensor Pipeline::inpainting_concat(const at::Tensor& source, const at::Tensor& mask,
                                       GenerationParams::VaeTiling tiling) {
  const auto masked_latent = encode_latent(source * (1 - mask), tiling);
  const auto latent_mask = at::upsample_nearest2d(mask, {masked_latent.size(2), masked_latent.size(3)});
  return at::cat({latent_mask.to(masked_latent.options()), masked_latent}, 1);
}

at::Tensor Pipeline::decode(const at::Tensor& latent, GenerationParams::VaeTiling tiling,
                            StableDiffusionModel* model) {
  auto& vae = model ? model->vae : model_.vae;
  auto unscaled = (latent / vae->config().scale_factor).to(target_.vae_dtype);
  const bool tiled = use_tiling(tiling, latent.size(2), latent.size(3), *vae);
  let_go_of_free_weight_memory();  // the UNet's blocks: the decode needs the memory more
  const WeightsInUse vae_weights((model ? *model : model_).vae_weights.get(), *vae);
  const AttentionSliceLimit limit(attention_slice_bytes());
  return tiled ? decode_tiled(vae, unscaled) : vae->decode(unscaled);
}

std::vector<GeneratedImage> Pipeline::generate(GenerationParams params, const ProgressCallback& progress,
                                               const std::atomic<bool>* cancel) {
  validate(params);
  const auto choice = choose_sampler(params.sampler, params.schedule);
  if (params.seed == -1) params.seed = random_seed();
  if (params.variation_seed == -1) params.variation_seed = random_seed();
  configure_threads(params.threads);
  const auto inpaint = inpaints(params) ? std::optional(plan_inpainting(params)) : std::nullopt;
  if (inpaint) std::tie(params.width, params.height) = std::pair(inpaint->width, inpaint->height);
  const auto vae = vae_for(params);
  use_vae(model_, vae);
  use_circular_padding(model_, params.tiling);
  params.vae_name = vae ? vae->filename().string() : "";
  at::InferenceMode inference;
  const auto started = Clock::now();

  const auto recorded = std::move(params.lora_hashes);
  params.lora_hashes.clear();
  GenerationParams untagged = params;  // what the text encoders see: the prompt without its tags
  untagged.prompt = apply_networks(params.prompt, recorded, &params.lora_hashes);
  auto prompts = encode_prompts(untagged);
  params.ti_hashes = prompts.ti_hashes;
  auto notes = unreadable_embeddings_in(untagged.prompt + "\n" + untagged.negative_prompt + "\n" +
                                        (params.hires_fix ? params.hires_prompt + "\n" + params.hires_negative_prompt : ""));
  StableDiffusionModel* refiner_model = params.refiner ? &refiner(*params.refiner) : nullptr;
  if (refiner_model) {
    use_vae(*refiner_model, resolve_vae(params.vae, refiner_model->info.path, *addons_));
    use_circular_padding(*refiner_model, params.tiling);
    for (auto& note : apply_networks_to_refiner(*refiner_model)) notes.push_back(std::move(note));
  }
  // With hires fix the refiner takes over in the second pass only (A1111's default).
  const auto refiner_prompts = refiner_model && !params.hires_fix ? std::optional(encode_prompts(*refiner_model, untagged))
                                                                   : std::nullopt;
  const int factor = model_.vae->config().downsample_factor();
  const int latent_height = params.height / factor, latent_width = params.width / factor;
  const std::vector<int64_t> latent_shape{params.batch_size, model_.info.unet.out_channels, latent_height,
                                          latent_width};

  // The init image and mask at the generation size, as A1111 fits them.
  std::optional<Image8> init_image;
  std::optional<at::Tensor> init_latent;
  if (params.init_image) {
    init_image = inpaint ? inpaint->image
                         : resize_for_generation(load_image(*params.init_image), params.width, params.height,
                                                 params.resize_mode);
    init_latent = encode_latent(image_to_tensor(*init_image), params.vae_tiling);
  }
  const auto mask = inpaint ? std::optional(inpaint->mask) : std::nullopt;
  if (model_.info.inpainting) {
    // No mask repaints everything; txt2img starts from a grey image (A1111's txt2img_image_conditioning).
    const auto source = init_image ? image_to_tensor(*init_image) : at::zeros({1, 3, params.height, params.width});
    const auto repaint = mask ? conditioning_mask(*mask) : at::ones({1, 1, params.height, params.width});
    const auto concat = inpainting_concat(source, repaint, params.vae_tiling);
    for (auto* scheduled : {&prompts.cond, &prompts.uncond})
      for (auto& conditioning : scheduled->conditionings) conditioning.concat = concat;
  }
  std::optional<HiresFix> hires;
  if (params.hires_fix) hires.emplace(*this, params, refiner_model);
  std::optional<LatentMask> latent_mask;
  if (mask && init_latent) {
    const auto repaint = latent_repaint_mask(*mask, latent_height, latent_width).to(init_latent->options());
    // As A1111, the latent noise is the first batch's seeds' for every batch.
    const auto noise = params.masked_content == GenerationParams::MaskedContent::LatentNoise
                           ? BatchNoise(params.noise, batch_seeds(params, 0)).randn(latent_shape).to(repaint.options())
                           : at::Tensor();
    init_latent = masked_init_latent(params.masked_content, *init_latent, repaint, noise);
    latent_mask = LatentMask{*init_latent, repaint};
  }

  const auto schedule = DiscreteSchedule::scaled_linear(model_.info.schedule.linear_start,
                                                        model_.info.schedule.linear_end, model_.info.schedule.timesteps);
  const int image_count = params.batch_count * params.batch_size;

  std::vector<GeneratedImage> results;
  for (int batch = 0; batch < params.batch_count; ++batch) {
    const int first = batch * params.batch_size;
    SeedVariation variation{{}, params.variation_strength, params.seed_resize_from_height / factor,
                            params.seed_resize_from_width / factor};
    for (int i = 0; i < params.batch_size; ++i)
      variation.variation_seeds.push_back(static_cast<std::uint64_t>(params.variation_seed + first + i));
    BatchNoise noise(params.noise, batch_seeds(params, first));

    const auto step = std::make_shared<int>(0);  // A1111's denoiser step, shared with the refiner
    const double guidance = guidance_scale(*choice.sampler, params.cfg_scale);
    const auto last_uncond = choice.sampler->cfg_plus_plus ? std::make_shared<at::Tensor>() : nullptr;
    SamplingRun run{choice, params.steps, params.quantize_timesteps,
                    guided_eps(model_, prompts, guidance, cancel, step, last_uncond), schedule,
                    model_.info.prediction == Prediction::V, std::nullopt, latent_mask, last_uncond};
    if (refiner_prompts)
      run.handover = Handover{guided_eps(*refiner_model, *refiner_prompts, guidance, cancel, step, last_uncond),
                              refiner_model->info.prediction == Prediction::V, params.refiner_switch_at};
    const auto preview = progress ? live_preview() : LivePreview();
    // With hires fix both passes count as one: the first pass's steps, then the second's.
    int steps_before = 0, steps_after = hires ? hires->steps() : 0;
    StepCallback on_step = [&](int step, int total, const at::Tensor&, const at::Tensor& denoised) {
      if (cancel && cancel->load()) throw Cancelled();
      if (!progress) return;
      std::chrono::duration<double> elapsed = Clock::now() - started;
      progress({first, image_count, steps_before + step + 1, steps_before + total + steps_after, elapsed.count(),
                [&] { return preview(denoised[0]); }});
    };
    const auto initial = initial_noise(noise, latent_shape, variation).to(target_.device, target_.dtype);
    auto latent = init_latent ? run_img2img(run, *init_latent, params.denoising_strength, initial, noise, on_step)
                              : run_txt2img(run, initial, noise, on_step);
    if (hires) {
      steps_before = params.steps;
      steps_after = 0;
      latent = hires->run(latent, batch_seeds(params, first), variation, on_step, cancel);
    }

    // A1111 decodes with the model loaded last: the refiner's VAE once it has taken over.
    const bool refined = hires ? hires->refined() : run.handover && *run.handover->switched;
    auto images = decode(latent, params.vae_tiling, refined ? refiner_model : nullptr).to(at::kCPU, at::kFloat);
    for (int i = 0; i < params.batch_size; ++i) {
      auto image = tensor_to_image(images.narrow(0, i, 1));
      if (inpaint) image = finish_inpainting(image, *inpaint);
      GeneratedImage result{std::move(image), params, latent.narrow(0, i, 1).to(at::kCPU, at::kFloat), notes};
      if (inpaint)
        std::tie(result.params.width, result.params.height) = std::pair(inpaint->recorded_width, inpaint->recorded_height);
      result.params.seed = image_seed(params, first + i);
      result.params.variation_seed = params.variation_seed + first + i;
      results.push_back(std::move(result));
    }
  }
  return results;
}

}  // namespace atelier
