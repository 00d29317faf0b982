#include <cstdio>
#include <iostream>
#include <string>
#include <nlohmann/json.hpp>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/pipeline/benchmark.h"

namespace atelier::cli {
namespace {

// "sys 0.41 s, 120394 minor / 0 major faults": where time went besides computing.
std::string usage_text(const ProcessUsage& usage) {
  char text[96];
  std::snprintf(text, sizeof text, "sys %.2f s, %ld minor / %ld major faults", usage.system_seconds,
                usage.minor_faults, usage.major_faults);
  return text;
}

void print_stage(const char* name, const StageTimes& stage, double peak_gflops) {
  const double achieved = stage.gflops_per_second();
  std::printf("%-12s %8.3f s  (spread %.3f s, n=%zu)  %7.1f GFLOP  %6.1f GFLOP/s  %5.1f %% of peak  [%s, peak RSS %.0f MB]\n",
              name, stage.median(), stage.spread(), stage.seconds.size(), stage.flops / 1e9, achieved,
              100 * achieved / peak_gflops, usage_text(stage.usage_per_run).c_str(), stage.peak_rss_mb);
}

void print_table(const BenchmarkOptions& options, const BenchmarkResult& r) {
  std::printf("%d×%d on %s, %d threads; matmul peak %.1f GFLOP/s\n", options.width, options.height,
              r.target.c_str(), r.threads, r.matmul_peak_gflops);
  std::printf("%-12s %8.3f s  [%s, peak RSS %.0f MB]\n", "load", r.load_seconds, usage_text(r.load_usage).c_str(),
              r.load_peak_rss_mb);
  print_stage("text encode", r.text_encode, r.matmul_peak_gflops);
  print_stage("UNet step", r.unet_step, r.matmul_peak_gflops);
  print_stage("VAE decode", r.vae_decode, r.matmul_peak_gflops);
  std::printf("%-12s %8.0f MB\n", "peak RSS", r.peak_rss_mb);
  std::printf("%-12s %8.0f MB in use (%s)\n", "huge pages", r.huge_pages_mb, r.huge_page_settings.c_str());
}

void add_usage(nlohmann::ordered_json& json, const std::string& stage, const ProcessUsage& usage, double peak_rss_mb) {
  json[stage + "_system_s"] = usage.system_seconds;
  json[stage + "_minor_faults"] = usage.minor_faults;
  json[stage + "_major_faults"] = usage.major_faults;
  json[stage + "_peak_rss_mb"] = peak_rss_mb;
}

void print_json(const BenchmarkOptions& options, const BenchmarkResult& r) {
  nlohmann::ordered_json medians = {
      {"width", options.width},
      {"height", options.height},
      {"target", r.target},
      {"threads", r.threads},
      {"load_s", r.load_seconds},
      {"text_encode_s", r.text_encode.median()},
      {"unet_step_s", r.unet_step.median()},
      {"vae_decode_s", r.vae_decode.median()},
      {"peak_rss_mb", r.peak_rss_mb},
      {"matmul_peak_gflops", r.matmul_peak_gflops},
      {"unet_gflops_per_step", r.unet_step.flops / 1e9},
      {"unet_percent_of_peak", 100 * r.unet_step.gflops_per_second() / r.matmul_peak_gflops},
      {"vae_decode_percent_of_peak", 100 * r.vae_decode.gflops_per_second() / r.matmul_peak_gflops},
      {"huge_pages_mb", r.huge_pages_mb},
      {"huge_page_settings", r.huge_page_settings},
  };
  add_usage(medians, "load", r.load_usage, r.load_peak_rss_mb);
  add_usage(medians, "text_encode", r.text_encode.usage_per_run, r.text_encode.peak_rss_mb);
  add_usage(medians, "unet_step", r.unet_step.usage_per_run, r.unet_step.peak_rss_mb);
  add_usage(medians, "vae_decode", r.vae_decode.usage_per_run, r.vae_decode.peak_rss_mb);
  std::cout << medians.dump() << "\n";
}

}  // namespace

// Times the stages of txt2img on a checkpoint: a table by default, one JSON object with --json.
int run_bench(CommandLine& args) {
  BenchmarkOptions options;
  const auto model = args.value("model");
  options.width = args.int_value_or("width", options.width);
  options.height = args.int_value_or("height", options.height);
  options.steps = args.int_value_or("steps", options.steps);
  options.repeats = args.int_value_or("repeats", options.repeats);
  options.threads = args.int_value_or("threads", options.threads);
  options.device = parse_device_choice(args.value_or("device", "auto"));
  options.precision = parse_precision(args.value_or("precision", "auto"));
  if (args.flag("low-memory")) options.memory = MemoryMode::Low;
  const bool json = args.flag("json");
  args.reject_unknown();
  if (!model) throw InvalidArgument("--model PATH is required");
  if (!args.positionals().empty()) throw InvalidArgument("unexpected argument '" + args.positionals()[0] + "'");
  options.model = *model;

  const auto result = run_benchmark(options, [](const std::string& stage) { std::cerr << stage << "...\n"; });
  if (json)
    print_json(options, result);
  else
    print_table(options, result);
  return 0;
}

}  // namespace atelier::cli
