#pragma once
// The generation parameters a PNG carries, whichever tool wrote them: ours first, then
// ComfyUI, InvokeAI, Fooocus, stable-diffusion.cpp, Draw Things and A1111.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/gallery/params_json.h"
#include "core/io/png.h"
#include "core/pipeline/generation_params.h"

namespace atelier {

using MetadataFields = std::vector<std::pair<std::string, std::string>>;

struct ImageMetadata {
  // Which tool wrote it: "atelier", "a1111", "comfyui", "invokeai" (2.x's `sd-metadata` as well as
  // 3.x's `invokeai_metadata`; `extra` keeps its app_version), "fooocus", "sdcpp", "drawthings";
  // "none" when no chunk holds parameters any reader knows.
  std::string source = "none";
  GenerationParams params;        // what could be mapped; GenerationParams' defaults elsewhere
  std::optional<RunInfo> run;     // ours only
  MetadataFields extra;           // keys kept as written but not mapped to params
  std::vector<std::string> unmapped;  // what could not be mapped, said for a person
};

// The metadata of the PNG at `path`. Throws FormatError naming the file for a file that is not
// a sound PNG (truncated, bad CRC, not a PNG, oversized text); a PNG without parameters gives
// source "none" and its text chunks in `extra`.
ImageMetadata read_image_metadata(const std::filesystem::path& path);

// The same from text chunks already read.
ImageMetadata parse_image_metadata(const std::vector<PngText>& texts);

// One object with snake_case keys, as `atelier-cli info --json` prints it: prompt,
// negative_prompt, steps, sampler (A1111's name), schedule, cfg_scale, seed, width, height,
// model, model_hash, clip_skip, denoising_strength, mask_blur, invert_mask, inpaint_area,
// masked_padding, masked_content, rng, source, extra, unmapped (and run, init_image, mask,
// outpaint, vae with vae_name and vae_hash, refiner with refiner_hash and refiner_switch_at
// when known; with hires fix hires_fix, hires_scale or hires_resize [w, h], hires_steps (0: the
// first pass's), hires_upscaler, and hires_sampler, hires_prompt and hires_negative_prompt when set).
nlohmann::json to_json(const ImageMetadata& metadata);

}  // namespace atelier
