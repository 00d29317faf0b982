#include "server/generation_request.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/pipeline/hires_fix.h"
#include "core/pipeline/input_files.h"
#include "core/pipeline/pipeline.h"
#include "core/sampling/sampler_registry.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/request_images.h"

namespace atelier::server {
namespace {

using nlohmann::json;

// The fields of A1111's request models and their defaults (modules/processing.py,
// modules/api/models.py), the echo's base.
json default_fields(RequestKind kind) {
  json fields = {
      {"prompt", ""}, {"negative_prompt", ""}, {"styles", nullptr}, {"seed", -1}, {"subseed", -1},
      {"subseed_strength", 0}, {"seed_resize_from_h", -1}, {"seed_resize_from_w", -1}, {"sampler_name", nullptr},
      {"scheduler", nullptr}, {"batch_size", 1}, {"n_iter", 1}, {"steps", 50}, {"cfg_scale", 7.0}, {"width", 512},
      {"height", 512}, {"restore_faces", nullptr}, {"tiling", nullptr}, {"do_not_save_samples", false},
      {"do_not_save_grid", false}, {"eta", nullptr}, {"denoising_strength", 0.75}, {"s_min_uncond", nullptr},
      {"s_churn", nullptr}, {"s_tmax", nullptr}, {"s_tmin", nullptr}, {"s_noise", nullptr},
      {"override_settings", nullptr}, {"override_settings_restore_afterwards", true}, {"refiner_checkpoint", nullptr},
      {"refiner_switch_at", nullptr}, {"disable_extra_networks", false}, {"comments", nullptr},
      {"sampler_index", "Euler"}, {"script_name", nullptr}, {"script_args", json::array()}, {"send_images", true},
      {"save_images", false}, {"alwayson_scripts", json::object()}, {"force_task_id", nullptr}, {"infotext", nullptr},
  };
  if (kind == RequestKind::Txt2Img) {
    fields.update({{"enable_hr", false}, {"firstphase_width", 0}, {"firstphase_height", 0}, {"hr_scale", 2.0},
                   {"hr_upscaler", nullptr}, {"hr_second_pass_steps", 0}, {"hr_resize_x", 0}, {"hr_resize_y", 0},
                   {"hr_checkpoint_name", nullptr}, {"hr_sampler_name", nullptr}, {"hr_prompt", ""},
                   {"hr_negative_prompt", ""}});
  } else {
    fields.update({{"init_images", nullptr}, {"resize_mode", 0}, {"image_cfg_scale", nullptr}, {"mask", nullptr},
                   {"mask_blur_x", 4}, {"mask_blur_y", 4}, {"mask_blur", nullptr}, {"inpainting_fill", 0},
                   {"inpaint_full_res", true}, {"inpaint_full_res_padding", 0}, {"inpainting_mask_invert", 0},
                   {"initial_noise_multiplier", nullptr}, {"latent_mask", nullptr}, {"include_init_images", false}});
  }
  return fields;
}

// The request's values of the model's fields over the defaults; other keys dropped.
json echo_parameters(RequestKind kind, const json& body) {
  json echo = default_fields(kind);
  for (auto& [key, value] : echo.items())
    if (const auto it = body.find(key); it != body.end()) value = *it;
  if (kind == RequestKind::Img2Img && !echo["include_init_images"].is_boolean()) echo["include_init_images"] = false;
  if (kind == RequestKind::Img2Img && !echo["include_init_images"].get<bool>()) {
    echo["init_images"] = nullptr;
    echo["mask"] = nullptr;
  }
  return echo;
}

// A field Atelier does not run, refused unless it holds what Atelier does anyway.
void refuse_unless(bool runs, const JsonFields& fields, const std::string& name, const std::string& why) {
  if (!runs) throw FieldError(fields.field(name), why);
}

void refuse_not_run(RequestKind kind, const JsonFields& f) {
  const auto is_default = [&](const std::string& name, double value) {
    const auto v = f.number(name);
    return !v || *v == value;
  };
  if (const auto* styles = f.value("styles"))
    refuse_unless(styles->is_array() && styles->empty(), f, "styles", "prompt styles are not supported; put the text in the prompt");
  refuse_unless(!f.boolean("restore_faces").value_or(false), f, "restore_faces", "face restoration is not supported");
  refuse_unless(!f.boolean("disable_extra_networks").value_or(false), f, "disable_extra_networks",
                "the prompt's <lora:...> tags are always applied");
  refuse_unless(!f.has("infotext"), f, "infotext", "give the parameters as fields");
  refuse_unless(f.string("script_name").value_or("").empty(), f, "script_name", "scripts are not supported");
  if (const auto* scripts = f.value("alwayson_scripts"))
    refuse_unless(scripts->is_object() && scripts->empty(), f, "alwayson_scripts", "scripts and extensions are not supported");
  // A1111's defaults for these (its opts.eta_ancestral, s_churn, ...) are what Atelier's samplers use.
  refuse_unless(is_default("eta", 1.0), f, "eta", "only the default eta (1) is supported");
  refuse_unless(is_default("s_churn", 0.0), f, "s_churn", "only the default (0) is supported");
  refuse_unless(is_default("s_tmin", 0.0), f, "s_tmin", "only the default (0) is supported");
  refuse_unless(is_default("s_noise", 1.0), f, "s_noise", "only the default (1) is supported");
  refuse_unless(is_default("s_min_uncond", 0.0), f, "s_min_uncond", "only the default (0) is supported");
  if (const auto tmax = f.number("s_tmax")) refuse_unless(*tmax == 0 || std::isinf(*tmax), f, "s_tmax", "only the default is supported");
  if (kind == RequestKind::Txt2Img) {
    refuse_unless(!f.number("firstphase_width").value_or(0) && !f.number("firstphase_height").value_or(0), f,
                  "firstphase_width", "the pre-1.0 first pass size is not supported; give hr_scale or hr_resize_x/hr_resize_y");
  } else {
    refuse_unless(is_default("initial_noise_multiplier", 1.0), f, "initial_noise_multiplier", "only 1 is supported");
    refuse_unless(!f.has("latent_mask"), f, "latent_mask", "a separate latent mask is not supported");
  }
}

void read_img2img(const JsonFields& f, GenerationParams& p, const TempFolder& files) {
  const auto* images = f.value("init_images");
  if (!images) throw FieldError(f.field("init_images"), "required: one base64 image");
  if (!images->is_array()) throw FieldError(f.field("init_images"), "expected a list of base64 images");
  if (images->size() != 1) throw FieldError(f.field("init_images"), "Atelier takes exactly one init image, got " + std::to_string(images->size()));
  p.init_image = image_file("init_images[0]", (*images)[0], files, "init-image");
  p.denoising_strength = f.number_in("denoising_strength", 0, 1).value_or(0.75);
  const auto mode = f.integer_in("resize_mode", 0, 3).value_or(0);
  refuse_unless(mode != 3, f, "resize_mode", "3 (latent upscale) is not supported; 0, 1 or 2");
  p.resize_mode = mode == 1 ? ResizeMode::CropAndResize : mode == 2 ? ResizeMode::ResizeAndFill : ResizeMode::JustResize;

  if (const auto* mask = f.value("mask")) {
    p.mask = image_file("mask", *mask, files, "mask");
    // A1111's API defaults: fill, only masked with no padding.
    p.invert_mask = f.integer_in("inpainting_mask_invert", 0, 1).value_or(0) == 1;
    constexpr std::array kContents{GenerationParams::MaskedContent::Fill, GenerationParams::MaskedContent::Original,
                                   GenerationParams::MaskedContent::LatentNoise,
                                   GenerationParams::MaskedContent::LatentNothing};
    p.masked_content = kContents[std::size_t(f.integer_in("inpainting_fill", 0, 3).value_or(0))];
    p.inpaint_area = f.boolean("inpaint_full_res").value_or(true) ? GenerationParams::InpaintArea::OnlyMasked
                                                                  : GenerationParams::InpaintArea::WholePicture;
    p.masked_padding = int(f.integer_in("inpaint_full_res_padding", 0, 256).value_or(0));
    const auto blur_x = f.integer_in("mask_blur_x", 0, 64), blur_y = f.integer_in("mask_blur_y", 0, 64);
    refuse_unless(blur_x.value_or(4) == blur_y.value_or(4), f, "mask_blur_x", "mask_blur_x and mask_blur_y must be equal");
    p.mask_blur = int(f.integer_in("mask_blur", 0, 64).value_or(blur_x.value_or(4)));
  }
}

// A1111's "Use same sampler" (or checkpoint, scheduler), or nothing: the first pass's.
bool same_as_first_pass(const std::optional<std::string>& choice) {
  return !choice || choice->empty() || choice->starts_with("Use same");
}

// A sampler name as A1111's lists it, else 404 naming the field.
void require_sampler(const std::string& field, const std::string& name, const std::string& schedule) {
  try {
    choose_sampler(name, schedule);
  } catch (const InvalidArgument&) {
    throw ApiError(404, field + ": sampler '" + name + "' not found (see /sdapi/v1/samplers)");
  }
}

// A1111's hires fix fields of a txt2img request (processing.py's enable_hr, hr_*). The upscaler is
// one /sdapi/v1/upscalers or latent-upscale-modes lists: a name, never a path.
void read_hires_fix(const JsonFields& f, GenerationParams& p, const ModelCatalog& catalog) {
  if (!f.boolean("enable_hr").value_or(false)) return;
  refuse_unless(same_as_first_pass(f.string("hr_checkpoint_name")), f, "hr_checkpoint_name",
                "a hires checkpoint other than the first pass's is not supported");
  refuse_unless(same_as_first_pass(f.string("hr_scheduler")), f, "hr_scheduler",
                "a hires schedule other than the first pass's is not supported");
  p.hires_fix = true;
  p.hires_scale = f.number_in("hr_scale", 1, 16).value_or(2.0);
  p.hires_width = int(f.integer_in("hr_resize_x", 0, kMaxGenerationSide).value_or(0));
  p.hires_height = int(f.integer_in("hr_resize_y", 0, kMaxGenerationSide).value_or(0));
  p.hires_steps = int(f.integer_in("hr_second_pass_steps", 0, 1000).value_or(0));
  p.denoising_strength = f.number_in("denoising_strength", 0, 1).value_or(0.75);
  p.hires_prompt = f.string("hr_prompt").value_or("");
  p.hires_negative_prompt = f.string("hr_negative_prompt").value_or("");
  if (const auto sampler = f.string("hr_sampler_name"); !same_as_first_pass(sampler)) {
    require_sampler("hr_sampler_name", *sampler, p.schedule);
    p.hires_sampler = *sampler;
  }
  const auto upscaler = f.string("hr_upscaler").value_or("Latent");  // A1111's latent_upscale_default_mode
  const auto built_ins = built_in_hires_upscalers();
  const bool built_in = std::find(built_ins.begin(), built_ins.end(), upscaler) != built_ins.end();
  if (!built_in && !catalog.find_upscaler(upscaler))
    throw ApiError(404, "hr_upscaler: upscaler '" + upscaler + "' not found (see /sdapi/v1/upscalers)");
  p.hires_upscaler = upscaler;
}

const CheckpointItem& require_checkpoint(const std::optional<CheckpointItem>& item, const std::string& field,
                                         const std::string& name) {
  if (!item) throw ApiError(404, field + ": model '" + name + "' not found (see /sdapi/v1/sd-models)");
  return *item;
}

}  // namespace

GenerationRequest parse_generation_request(RequestKind kind, const json& body, const ServerOptions& options,
                                           ModelCatalog& catalog) {
  const JsonFields f(body);
  refuse_not_run(kind, f);
  GenerationRequest request;
  request.kind = kind;
  request.parameters = echo_parameters(kind, body);
  request.options = options;
  if (const auto* overrides = f.value("override_settings"))
    request.options = apply_options(options, *overrides, catalog, "override_settings");
  request.keep_options = !f.boolean("override_settings_restore_afterwards").value_or(true);
  request.send_images = f.boolean("send_images").value_or(true);
  request.save_images = f.boolean("save_images").value_or(false);

  GenerationParams& p = request.params;
  p.prompt = f.string("prompt").value_or("");
  p.negative_prompt = f.string("negative_prompt").value_or("");
  p.steps = int(f.integer_in("steps", 1, 1000).value_or(50));
  p.cfg_scale = f.number_in("cfg_scale", 0, 100).value_or(7.0);
  p.width = int(f.integer_in("width", 64, kMaxGenerationSide).value_or(512));
  p.height = int(f.integer_in("height", 64, kMaxGenerationSide).value_or(512));
  p.batch_size = int(f.integer_in("batch_size", 1, 16).value_or(1));
  p.batch_count = int(f.integer_in("n_iter", 1, 100).value_or(1));
  // A1111's get_fixed_seed: -1 draws one.
  const auto seed = f.integer_in("seed", -1, std::numeric_limits<std::int64_t>::max()).value_or(-1);
  p.seed = seed == -1 ? random_seed() : seed;
  const auto subseed = f.integer_in("subseed", -1, std::numeric_limits<std::int64_t>::max()).value_or(-1);
  p.variation_seed = subseed == -1 ? random_seed() : subseed;
  p.variation_strength = f.number_in("subseed_strength", 0, 1).value_or(0);
  const auto from_w = f.integer_in("seed_resize_from_w", -1, 8192).value_or(-1);
  const auto from_h = f.integer_in("seed_resize_from_h", -1, 8192).value_or(-1);
  if (from_w > 0 && from_h > 0) {
    p.seed_resize_from_width = int(from_w);
    p.seed_resize_from_height = int(from_h);
  }

  const auto sampler = f.string("sampler_name").value_or(f.string("sampler_index").value_or("Euler"));
  const auto sampler_field = f.has("sampler_name") ? "sampler_name" : "sampler_index";
  if (const auto schedule = f.string("scheduler")) {
    if (!find_schedule_type(*schedule))
      throw ApiError(404, "scheduler: scheduler '" + *schedule + "' not found (see /sdapi/v1/schedulers)");
    p.schedule = *schedule;
  }
  require_sampler(sampler_field, sampler, p.schedule);
  p.sampler = sampler;
  p.tiling = f.boolean("tiling").value_or(false);
  if (kind == RequestKind::Txt2Img) read_hires_fix(f, p, catalog);

  if (request.options.sd_model_checkpoint.empty())
    throw ApiError(404, "sd_model_checkpoint: no checkpoint in the model library; start the server with --model");
  p.model = require_checkpoint(catalog.find_checkpoint(request.options.sd_model_checkpoint), "sd_model_checkpoint",
                               request.options.sd_model_checkpoint).entry.path;
  p.clip_skip = request.options.clip_stop_at_last_layers;
  p.noise = request.options.randn_source;
  p.vae = vae_choice(request.options, catalog);
  if (const auto refiner = f.string("refiner_checkpoint"); refiner && !refiner->empty() && *refiner != "None" && *refiner != "none") {
    p.refiner = require_checkpoint(catalog.find_checkpoint(*refiner), "refiner_checkpoint", *refiner).entry.path;
    p.refiner_switch_at = f.number_in("refiner_switch_at", 0, 1).value_or(0.8);
  }

  request.files = std::make_shared<TempFolder>();
  if (kind == RequestKind::Img2Img) read_img2img(f, p, *request.files);
  try {
    validate(p);
    check_input_files(p, *catalog.addon_folders());
  } catch (const Error& e) {
    throw ApiError(422, e.what());
  }
  return request;
}

}  // namespace atelier::server
