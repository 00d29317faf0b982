#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <tuple>

#include "app/cli_commands.h"
#include "app/cli_interrupt.h"
#include "app/cli_library.h"
#include "core/error.h"
#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "core/gallery/metadata_values.h"
#include "core/gallery/model_hash_cache.h"
#include "core/library/family_sizes.h"
#include "core/models/checkpoint.h"
#include "core/models/model_source.h"
#include "core/pipeline/inpaint_options.h"
#include "core/pipeline/input_files.h"
#include "core/pipeline/pipeline.h"

namespace atelier::cli {
namespace {

// The parameters of the image given by --from (that one image again: batch of one), or the
// defaults at the size of --model's family; a re-run says on stderr what it could not take
// from the image.
GenerationParams base_params(CommandLine& args, CheckpointFinder& models) {
  GenerationParams p;
  if (const auto from = args.value("from")) {
    const ImageMetadata metadata = read_image_metadata(*from);
    if (metadata.source == "none") throw InvalidArgument(*from + " carries no generation parameters Atelier can read");
    for (const auto& note : metadata.unmapped) std::cerr << "atelier-cli generate: not re-run: " << note << "\n";
    p = metadata.params;
    p.batch_count = 1;
    p.batch_size = 1;
  } else if (const auto model = args.value("model")) {
    const ImageSize size = default_size(inspect_checkpoint(std::filesystem::path(models.find("model", *model, "", "--model"))));
    p.width = size.width;
    p.height = size.height;
  }
  return p;
}

// The --hires-* options: any of them turns hires fix on; --hires-denoise is A1111's one strength.
void read_hires_fix(CommandLine& args, GenerationParams& p) {
  const auto scale = args.value("hires-scale");
  const auto size = args.value("hires-size");
  if (scale && size) throw InvalidArgument("give --hires-scale X or --hires-size WxH, not both");
  const auto steps = args.value("hires-steps"), denoise = args.value("hires-denoise");
  const auto upscaler = args.value("hires-upscaler"), sampler = args.value("hires-sampler");
  const auto prompt = args.value("hires-prompt"), negative = args.value("hires-negative-prompt");
  if (!(scale || size || steps || denoise || upscaler || sampler || prompt || negative)) return;
  p.hires_fix = true;
  if (scale) {
    p.hires_scale = args.double_value_or("hires-scale", p.hires_scale);
    p.hires_width = p.hires_height = 0;
  }
  if (size) {
    const auto sides = parse_size(*size, 0);
    if (!sides || (sides->first == 0 && sides->second == 0))
      throw InvalidArgument("--hires-size '" + *size + "': expected WxH, e.g. 1024x1024 (a side of 0 keeps the proportion)");
    std::tie(p.hires_width, p.hires_height) = *sides;
  }
  p.hires_steps = args.int_value_or("hires-steps", p.hires_steps);
  p.denoising_strength = args.double_value_or("hires-denoise", p.denoising_strength);
  p.hires_upscaler = upscaler.value_or(p.hires_upscaler);
  p.hires_sampler = sampler.value_or(p.hires_sampler);
  p.hires_prompt = prompt.value_or(p.hires_prompt);
  p.hires_negative_prompt = negative.value_or(p.hires_negative_prompt);
}

// Every option overrides what `p` holds.
GenerationParams read_params(CommandLine& args, GenerationParams p) {
  if (auto model = args.value("model")) p.model = without_trailing_separator(*model);
  if (p.model.empty()) throw InvalidArgument("--model is required");
  p.prompt = args.value_or("prompt", p.prompt);
  p.negative_prompt = args.value_or("negative", p.negative_prompt);
  p.steps = args.int_value_or("steps", p.steps);
  p.cfg_scale = args.double_value_or("cfg", p.cfg_scale);
  p.sampler = args.value_or("sampler", p.sampler);
  p.schedule = args.value_or("schedule", p.schedule);
  p.seed = args.int64_value_or("seed", p.seed);
  p.variation_seed = args.int64_value_or("variation-seed", p.variation_seed);
  p.variation_strength = args.double_value_or("variation-strength", p.variation_strength);
  if (auto from = args.value("resize-seed-from")) {
    const auto size = parse_size(*from);
    if (!size) throw InvalidArgument("--resize-seed-from '" + *from + "': expected WxH, e.g. 512x512 (0x0: off)");
    std::tie(p.seed_resize_from_width, p.seed_resize_from_height) = *size;
  }
  p.width = args.int_value_or("width", p.width);
  p.height = args.int_value_or("height", p.height);
  p.batch_count = args.int_value_or("batch-count", p.batch_count);
  p.batch_size = args.int_value_or("batch-size", p.batch_size);
  p.clip_skip = args.int_value_or("clip-skip", p.clip_skip);
  if (auto rng = args.value("rng")) p.noise = parse_noise_kind(*rng);
  if (args.flag("quantize")) p.quantize_timesteps = true;
  if (args.flag("no-quantize")) p.quantize_timesteps = false;
  if (auto init = args.value("init-image")) p.init_image = *init;
  p.denoising_strength = args.double_value_or("strength", p.denoising_strength);
  if (auto mode = args.value("resize-mode")) p.resize_mode = parse_resize_mode(*mode);
  read_hires_fix(args, p);
  if (auto mask = args.value("mask")) p.mask = *mask;
  p.mask_blur = args.int_value_or("mask-blur", p.mask_blur);
  if (args.flag("invert-mask")) p.invert_mask = true;
  if (auto area = args.value("inpaint-area")) p.inpaint_area = parse_inpaint_area(*area);
  p.masked_padding = args.int_value_or("masked-padding", p.masked_padding);
  if (auto content = args.value("masked-content")) p.masked_content = parse_masked_content(*content);
  if (auto borders = args.value("outpaint")) p.outpaint = parse_borders(*borders);
  if (auto refiner = args.value("refiner")) p.refiner = *refiner;
  p.refiner_switch_at = args.double_value_or("refiner-switch", p.refiner_switch_at);
  if (auto device = args.value("device")) p.device = parse_device_choice(*device);
  if (auto precision = args.value("precision")) p.precision = parse_precision(*precision);
  p.threads = args.int_value_or("threads", p.threads);
  if (auto tiling = args.value("vae-tiling")) p.vae_tiling = parse_vae_tiling(*tiling);
  if (args.flag("tiling")) p.tiling = true;
  if (args.flag("no-tiling")) p.tiling = false;
  p.vae = args.value_or("vae", p.vae);
  return p;
}

// The AutoV2 hash of `path`, warning when the image being re-run recorded another. A folder
// (diffusers) has no file hash: empty.
std::string checked_hash(ModelHashCache& hashes, const std::string& what, const std::filesystem::path& path,
                         const std::string& recorded) {
  std::string hash = hashes.autov2(path);
  // Only AutoV2 hashes compare; A1111's older 8-digit hash covers part of the file.
  if (!hash.empty() && recorded.size() == hash.size() && recorded != hash) {
    std::cerr << "atelier-cli generate: warning: the image was made with " << what << " hash " << recorded << ", "
              << path.string() << " has " << hash << "\n";
  }
  return hash;
}

// "step 3/20 · 1.52 it/s · ETA 0:12" rewritten in place on a terminal.
void show_progress(const GenerationProgress& p) {
  const double rate = p.elapsed_seconds > 0 ? p.step / p.elapsed_seconds : 0;
  const int eta = rate > 0 ? static_cast<int>((p.steps - p.step) / rate) : 0;
  std::fprintf(stderr, "\rimage %d/%d  step %d/%d  %.2f it/s  ETA %d:%02d ", p.image_index + 1, p.image_count,
               p.step, p.steps, rate, eta / 60, eta % 60);
  if (p.step == p.steps) std::fputc('\n', stderr);
}

}  // namespace

int run_generate(CommandLine& args) {
  CheckpointFinder models(args);
  auto params = read_params(args, base_params(args, models));
  const auto output = args.value("output");
  const auto output_dir = args.value("output-dir");
  const auto memory = args.flag("low-memory") ? MemoryMode::Low : MemoryMode::Standard;
  const auto addons = models.addon_folders(args);
  args.reject_unknown();
  if (output.has_value() == output_dir.has_value()) throw InvalidArgument("give exactly one of --output FILE and --output-dir DIR");
  if (!args.positionals().empty()) throw InvalidArgument("unexpected argument '" + args.positionals()[0] + "'");
  // A re-run names its model and refiner by file name and hash only when the image came from elsewhere.
  if (!params.model.empty()) params.model = models.find("model", params.model, params.model_hash, "--model");
  if (params.refiner) params.refiner = models.find("refiner", *params.refiner, params.refiner_hash, "--refiner");
  validate(params);
  // Refuse a bad input file before the model loads.
  check_input_files(params, *addons);

  Pipeline pipeline(params.model, params.device, memory, params.precision);
  pipeline.set_addon_folders(addons);
  pipeline.set_upscaler_finder(models.resolver());
  ModelHashCache hashes;
  params.model_hash = checked_hash(hashes, "model", params.model, params.model_hash);
  if (params.refiner) params.refiner_hash = checked_hash(hashes, "refiner", *params.refiner, params.refiner_hash);
  const auto vae = pipeline.vae_for(params);
  params.vae_hash = vae ? checked_hash(hashes, "VAE", *vae, params.vae_hash) : "";
  const auto& interrupted = catch_interrupt();
  ProgressCallback progress;
  if (isatty(STDERR_FILENO)) progress = show_progress;
  const auto started = std::chrono::steady_clock::now();
  const auto images = pipeline.generate(params, progress, &interrupted);
  for (const auto& note : images.front().notes) std::cerr << "atelier-cli generate: warning: " << note << "\n";
  const auto run = make_run_info(pipeline.target(),
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  const auto paths = output ? numbered_outputs(*output, images.size()) : sequential_outputs(*output_dir, images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    save_generated_image(paths[i], images[i], run);
    std::cout << paths[i].string() << "\n";
  }
  return 0;
}

}  // namespace atelier::cli
