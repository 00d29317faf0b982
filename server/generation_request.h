#pragma once
// A1111's txt2img and img2img request bodies (StableDiffusionTxt2ImgProcessingAPI,
// StableDiffusionImg2ImgProcessingAPI: the fields of modules/processing.py with their defaults)
// as the GenerationParams Atelier runs.
//
// Fields are of three sorts:
//  - run: prompt, negative_prompt, seed (-1 random), subseed, subseed_strength,
//    seed_resize_from_w/h, sampler_name (else sampler_index), scheduler, batch_size, n_iter,
//    steps, cfg_scale, width, height, override_settings (+ _restore_afterwards),
//    refiner_checkpoint, refiner_switch_at, send_images, save_images; img2img: init_images,
//    denoising_strength, resize_mode 0-2, mask, mask_blur (or equal mask_blur_x/y),
//    inpainting_mask_invert, include_init_images;
//  - refused with 422 naming the field when set to anything but what Atelier does (they would
//    change the image): styles, restore_faces, tiling, enable_hr, eta and the s_* sampler knobs
//    away from their defaults, script_name, alwayson_scripts, disable_extra_networks, infotext;
//    img2img: resize_mode 3, inpainting_fill other than 1 ("original"), inpaint_full_res true,
//    initial_noise_multiplier other than 1, latent_mask, more than one init image. Absent, they
//    take Atelier's behaviour (A1111's own defaults for inpainting_fill and inpaint_full_res are
//    a fill and "only masked", which Atelier does not run);
//  - ignored, as they change nothing here: the hr_* fields while enable_hr is false,
//    firstphase_*, txt2img's denoising_strength, image_cfg_scale (instruct-pix2pix only),
//    inpaint_full_res_padding, script_args, do_not_save_*, comments, force_task_id, and every
//    key A1111's models do not have (pydantic ignores them).
#include <memory>
#include <nlohmann/json.hpp>

#include "core/pipeline/generation_params.h"
#include "server/model_catalog.h"
#include "server/server_options.h"
#include "server/temp_folder.h"

namespace atelier::server {

enum class RequestKind { Txt2Img, Img2Img };

struct GenerationRequest {
  RequestKind kind = RequestKind::Txt2Img;
  GenerationParams params;  // the checkpoint resolved, seeds fixed, init image and mask as files
  std::shared_ptr<TempFolder> files;  // where those files are; removed with the last copy
  bool send_images = true;
  bool save_images = false;
  ServerOptions options;         // the settings with override_settings applied
  bool keep_options = false;     // override_settings_restore_afterwards false: they persist
  nlohmann::json parameters;     // A1111's echo: every field of its model, the request's values over the defaults
};

// Throws FieldError / ApiError (422, 404 for an unknown checkpoint, sampler or VAE) naming the field.
GenerationRequest parse_generation_request(RequestKind kind, const nlohmann::json& body, const ServerOptions& options,
                                           ModelCatalog& catalog);

// The largest generation a request may ask for (either side): 422 beyond.
inline constexpr int kMaxGenerationSide = 4096;

}  // namespace atelier::server
