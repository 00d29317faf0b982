#include "core/gallery/params_json.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/pipeline/inpaint_options.h"

namespace atelier {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

// Reads `key` into `field` when present; a value of another type is a FormatError.
template <typename T>
void read(const json& object, const char* key, T& field) {
  const auto value = object.find(key);
  if (value == object.end()) return;
  try {
    field = value->get<T>();
  } catch (const json::exception&) {
    throw FormatError(std::string("atelier metadata: \"") + key + "\" has the wrong type (" + value->type_name() + ")");
  }
}

// A label read through its parser (parse_noise_kind, ...); unknown labels are a FormatError.
template <typename T, typename Parse>
void read_label(const json& object, const char* key, T& field, Parse parse) {
  std::string label;
  read(object, key, label);
  if (label.empty()) return;
  try {
    field = parse(label);
  } catch (const InvalidArgument& e) {
    throw FormatError(std::string("atelier metadata: \"") + key + "\": " + e.what());
  }
}

// An optional path: null when absent.
json path_value(const std::optional<std::filesystem::path>& path) { return path ? json(path->string()) : json(); }

void read_path(const json& object, const char* key, std::optional<std::filesystem::path>& field) {
  const auto value = object.find(key);
  if (value == object.end() || value->is_null()) return;
  std::string path;
  read(object, key, path);
  field = path;
}

}  // namespace

RunInfo make_run_info(const ExecutionTarget& target, double elapsed_seconds) {
  return {target.device.str(), std::string(c10::toString(target.dtype)), elapsed_seconds};
}

std::string format_params_json(const GenerationParams& p, const std::optional<RunInfo>& run) {
  json out{
      {"format", "atelier"},
      {"version", kVersion},
      {"prompt", p.prompt},
      {"negative_prompt", p.negative_prompt},
      {"steps", p.steps},
      {"cfg_scale", p.cfg_scale},
      {"sampler", p.sampler},
      {"schedule", p.schedule},
      {"seed", p.seed},
      {"variation_seed", p.variation_seed},
      {"variation_strength", p.variation_strength},
      {"seed_resize_from_width", p.seed_resize_from_width},
      {"seed_resize_from_height", p.seed_resize_from_height},
      {"width", p.width},
      {"height", p.height},
      {"batch_count", p.batch_count},
      {"batch_size", p.batch_size},
      {"clip_skip", p.clip_skip},
      {"rng", to_string(p.noise)},
      {"quantize_timesteps", p.quantize_timesteps},
      {"init_image", path_value(p.init_image)},
      {"denoising_strength", p.denoising_strength},
      {"resize_mode", to_string(p.resize_mode)},
      {"mask", path_value(p.mask)},
      {"mask_blur", p.mask_blur},
      {"hires_fix", p.hires_fix},
      {"hires_scale", p.hires_scale},
      {"hires_width", p.hires_width},
      {"hires_height", p.hires_height},
      {"hires_steps", p.hires_steps},
      {"hires_upscaler", p.hires_upscaler},
      {"hires_sampler", p.hires_sampler},
      {"hires_prompt", p.hires_prompt},
      {"hires_negative_prompt", p.hires_negative_prompt},
      {"invert_mask", p.invert_mask},
      {"inpaint_area", to_string(p.inpaint_area)},
      {"masked_padding", p.masked_padding},
      {"masked_content", to_string(p.masked_content)},
      {"outpaint", to_string(p.outpaint)},
      {"model", p.model.string()},
      {"model_hash", p.model_hash},
      {"vae", p.vae},
      {"vae_name", p.vae_name},
      {"vae_hash", p.vae_hash},
      {"refiner", path_value(p.refiner)},
      {"refiner_hash", p.refiner_hash},
      {"refiner_switch_at", p.refiner_switch_at},
      {"lora_hashes", p.lora_hashes},
      {"ti_hashes", p.ti_hashes},
      {"device", to_string(p.device)},
      {"precision", to_string(p.precision)},
      {"threads", p.threads},
      {"vae_tiling", to_string(p.vae_tiling)},
      {"tiling", p.tiling},
  };
  if (run) out["run"] = {{"device", run->device}, {"dtype", run->dtype}, {"elapsed_seconds", run->elapsed_seconds}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

AtelierRecord parse_params_json(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object()) throw FormatError("atelier metadata is not a JSON object");
  if (in.value("format", json()) != "atelier") throw FormatError("atelier metadata: \"format\" is not \"atelier\"");
  int version = 0;
  read(in, "version", version);
  if (version < 1 || version > kVersion) {
    throw FormatError("atelier metadata version " + std::to_string(version) + " is not supported (this is version " +
                      std::to_string(kVersion) + "); a newer Atelier wrote it");
  }

  AtelierRecord record;
  GenerationParams& p = record.params;
  read(in, "prompt", p.prompt);
  read(in, "negative_prompt", p.negative_prompt);
  read(in, "steps", p.steps);
  read(in, "cfg_scale", p.cfg_scale);
  read(in, "sampler", p.sampler);
  read(in, "schedule", p.schedule);
  read(in, "seed", p.seed);
  read(in, "variation_seed", p.variation_seed);
  read(in, "variation_strength", p.variation_strength);
  read(in, "seed_resize_from_width", p.seed_resize_from_width);
  read(in, "seed_resize_from_height", p.seed_resize_from_height);
  read(in, "width", p.width);
  read(in, "height", p.height);
  read(in, "batch_count", p.batch_count);
  read(in, "batch_size", p.batch_size);
  read(in, "clip_skip", p.clip_skip);
  read_label(in, "rng", p.noise, parse_noise_kind);
  read(in, "quantize_timesteps", p.quantize_timesteps);
  read_path(in, "init_image", p.init_image);
  read(in, "denoising_strength", p.denoising_strength);
  read_label(in, "resize_mode", p.resize_mode, parse_resize_mode);
  read_path(in, "mask", p.mask);
  read(in, "mask_blur", p.mask_blur);
  read(in, "hires_fix", p.hires_fix);
  read(in, "hires_scale", p.hires_scale);
  read(in, "hires_width", p.hires_width);
  read(in, "hires_height", p.hires_height);
  read(in, "hires_steps", p.hires_steps);
  read(in, "hires_upscaler", p.hires_upscaler);
  read(in, "hires_sampler", p.hires_sampler);
  read(in, "hires_prompt", p.hires_prompt);
  read(in, "hires_negative_prompt", p.hires_negative_prompt);
  read(in, "invert_mask", p.invert_mask);
  read_label(in, "inpaint_area", p.inpaint_area, parse_inpaint_area);
  read(in, "masked_padding", p.masked_padding);
  read_label(in, "masked_content", p.masked_content, parse_masked_content);
  read_label(in, "outpaint", p.outpaint, parse_borders);
  std::string model;
  read(in, "model", model);
  p.model = model;
  read(in, "model_hash", p.model_hash);
  read(in, "vae", p.vae);
  read(in, "vae_name", p.vae_name);
  read(in, "vae_hash", p.vae_hash);
  read_path(in, "refiner", p.refiner);
  read(in, "refiner_hash", p.refiner_hash);
  read(in, "refiner_switch_at", p.refiner_switch_at);
  read(in, "lora_hashes", p.lora_hashes);
  read(in, "ti_hashes", p.ti_hashes);
  read_label(in, "device", p.device, parse_device_choice);
  read_label(in, "precision", p.precision, parse_precision);
  read(in, "threads", p.threads);
  read_label(in, "vae_tiling", p.vae_tiling, parse_vae_tiling);
  read(in, "tiling", p.tiling);

  if (const auto run = in.find("run"); run != in.end() && run->is_object()) {
    RunInfo& info = record.run.emplace();
    read(*run, "device", info.device);
    read(*run, "dtype", info.dtype);
    read(*run, "elapsed_seconds", info.elapsed_seconds);
  }
  return record;
}

}  // namespace atelier
