#pragma once
// Timing the stages of txt2img on a checkpoint, against the machine's own matmul peak.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/io/process_usage.h"
#include "core/pipeline/device_policy.h"
#include "core/pipeline/pipeline.h"

namespace atelier {

struct BenchmarkOptions {
  std::filesystem::path model;
  int width = 512;
  int height = 512;
  int steps = 3;    // UNet steps timed, after one warm-up step
  int repeats = 2;  // text encodings and VAE decodes timed, after one warm-up each
  int threads = 0;  // 0: every hardware thread
  DeviceChoice device = DeviceChoice::Auto;
  Precision precision = Precision::Auto;
  MemoryMode memory = MemoryMode::Standard;
};

// The timings of one stage, in seconds, and the work one run of it does.
struct StageTimes {
  std::vector<double> seconds;
  double flops = 0;
  ProcessUsage usage_per_run;  // CPU time and page faults of one timed run, on average
  double peak_rss_mb = 0;      // the resident high-water mark over the stage's runs

  double median() const;
  double spread() const;  // slowest minus fastest
  double gflops_per_second() const { return flops / median() / 1e9; }
};

struct BenchmarkResult {
  std::string target;  // "cpu float32", ...
  int threads = 0;
  double load_seconds = 0;
  ProcessUsage load_usage;
  double load_peak_rss_mb = 0;
  StageTimes text_encode;  // the prompt and the negative prompt, as the pipeline encodes them
  StageTimes unet_step;    // one CFG evaluation: batch 2 (uncond, cond), or two of batch 1 in low memory
  StageTimes vae_decode;   // one image
  double matmul_peak_gflops = 0;  // the best of a few 2048² fp32 matmuls
  double peak_rss_mb = 0;         // the highest of the stages' high-water marks
  double huge_pages_mb = 0;       // memory in transparent huge pages at the end, the model loaded
  std::string huge_page_settings;  // the kernel's mode and malloc's, see core/io/process_usage.h
};

// Runs every stage on random inputs of the requested size; `log` hears each stage as it starts.
// Throws InvalidArgument for sizes or counts that cannot be run.
BenchmarkResult run_benchmark(const BenchmarkOptions& options,
                              const std::function<void(const std::string&)>& log = {});

}  // namespace atelier
