#include "core/pipeline/benchmark.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/models/flop_count.h"

namespace atelier {
namespace {

constexpr int kMatmulSize = 2048;
constexpr int kMatmulRuns = 5;
const char* const kPrompt = "a lighthouse on a cliff at dusk, oil painting, dramatic clouds";
const char* const kNegativePrompt = "blurry, low quality";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds that `work` takes; its result is brought to the CPU so queued GPU work is counted.
double time_once(const std::function<at::Tensor()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work().cpu();
  return seconds_since(start);
}

// One untimed run (first-call setup: kernel selection, allocator growth), then `runs` timed;
// the memory high-water mark over all of them.
void time_stage(StageTimes& stage, int runs, const std::function<at::Tensor()>& work) {
  reset_peak_rss();
  time_once(work);
  const auto before = ProcessUsage::now();
  for (int i = 0; i < runs; ++i) stage.seconds.push_back(time_once(work));
  stage.usage_per_run = (ProcessUsage::now() - before).divided_by(runs);
  stage.peak_rss_mb = peak_rss_mb();
}

double matmul_peak_gflops(c10::Device device) {
  auto a = at::randn({kMatmulSize, kMatmulSize}, at::TensorOptions(device));
  auto b = at::randn({kMatmulSize, kMatmulSize}, at::TensorOptions(device));
  // Into one output: a fresh one per run would time the faulting-in of its pages too.
  auto product = at::empty({kMatmulSize, kMatmulSize}, at::TensorOptions(device));
  StageTimes matmul;
  time_stage(matmul, kMatmulRuns, [&] { return at::mm_out(product, a, b).sum(); });
  const double flops = 2.0 * kMatmulSize * kMatmulSize * kMatmulSize;
  return flops / *std::min_element(matmul.seconds.begin(), matmul.seconds.end()) / 1e9;
}

void validate(const BenchmarkOptions& options, int factor) {
  if (options.width <= 0 || options.height <= 0 || options.width % factor || options.height % factor)
    throw InvalidArgument("width and height must be positive multiples of " + std::to_string(factor));
  if (options.steps < 1 || options.repeats < 1) throw InvalidArgument("steps and repeats must be at least 1");
}

}  // namespace

double StageTimes::median() const {
  auto sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const auto n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double StageTimes::spread() const {
  auto [fastest, slowest] = std::minmax_element(seconds.begin(), seconds.end());
  return *slowest - *fastest;
}

BenchmarkResult run_benchmark(const BenchmarkOptions& options, const std::function<void(const std::string&)>& log) {
  auto note = [&](const std::string& line) {
    if (log) log(line);
  };
  validate(options, 1);  // counts and signs now; the sizes once the model tells its downsampling
  configure_threads(options.threads);
  const ExecutionTarget target = resolve_target(options.device, options.precision);
  BenchmarkResult result;
  result.target = target.description();
  if (options.memory == MemoryMode::Low) result.target += ", low memory";
  result.threads = at::get_num_threads();

  note("matmul peak (" + std::to_string(kMatmulSize) + "² fp32)");
  result.matmul_peak_gflops = matmul_peak_gflops(target.device);

  note("loading " + options.model.string());
  const auto load_start = std::chrono::steady_clock::now();
  const auto usage_before_load = ProcessUsage::now();
  reset_peak_rss();
  Pipeline pipeline(options.model, options.device, options.memory, options.precision);
  result.load_seconds = seconds_since(load_start);
  result.load_usage = ProcessUsage::now() - usage_before_load;
  result.load_peak_rss_mb = peak_rss_mb();
  const auto& info = pipeline.model().info;
  const int factor = info.vae.downsample_factor();
  validate(options, factor);
  const int latent_h = options.height / factor, latent_w = options.width / factor;

  at::InferenceMode inference;
  note("text encoder");
  PromptConditioning prompts;
  GenerationParams request;
  request.prompt = kPrompt;
  request.negative_prompt = kNegativePrompt;
  request.width = options.width;
  request.height = options.height;
  result.text_encode.flops = 0;
  for (const auto& encoder : info.text_encoders) result.text_encode.flops += text_encoder_flops(encoder.config, 2);
  time_stage(result.text_encode, options.repeats, [&] {
    prompts = pipeline.encode_prompts(request);
    return prompts.cond.at(0).context;
  });

  note("UNet steps (CFG, latent " + std::to_string(latent_w) + "×" + std::to_string(latent_h) + ")");
  const auto options_on_target = at::TensorOptions(target.device).dtype(target.dtype);
  const auto latents = at::randn({1, info.unet.in_channels, latent_h, latent_w}, options_on_target);
  const auto timesteps = at::full({1}, 500.0, options_on_target);
  const auto eps = pipeline.guided_eps(prompts, /*cfg_scale=*/7.0);
  result.unet_step.flops = unet_flops(info.unet, 2, latent_h, latent_w, static_cast<int>(prompts.cond.at(0).context.size(1)));
  time_stage(result.unet_step, options.steps, [&] { return eps(latents, timesteps); });

  note("VAE decode (" + std::to_string(options.width) + "×" + std::to_string(options.height) + ")");
  const auto latent = at::randn({1, info.vae.z_channels, latent_h, latent_w}, options_on_target);
  result.vae_decode.flops = vae_decode_flops(info.vae, latent_h, latent_w);
  time_stage(result.vae_decode, options.repeats,
             [&] { return pipeline.decode(latent, GenerationParams::VaeTiling::Off); });

  result.peak_rss_mb = std::max({result.load_peak_rss_mb, result.text_encode.peak_rss_mb,
                                 result.unet_step.peak_rss_mb, result.vae_decode.peak_rss_mb});
  result.huge_pages_mb = huge_pages_in_use_mb();
  result.huge_page_settings = huge_page_settings();
  return result;
}

}  // namespace atelier
