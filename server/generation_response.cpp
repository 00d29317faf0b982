#include "server/generation_response.h"

#include <set>

#include "core/gallery/image_output.h"
#include "core/sampling/sampler_registry.h"
#include "server/base64.h"

namespace atelier::server {
namespace {

using nlohmann::json;

// The infotext fields A1111 keeps in Processed.extra_generation_params rather than its own keys.
json extra_generation_params(const GenerationParams& params) {
  static const std::set<std::string> extras{"Schedule type", "Mask blur",  "Lora hashes",
                                            "TI hashes",     "Refiner",    "Refiner switch at"};
  json out = json::object();
  for (const auto& [key, value] : a1111_parameters(params).fields)
    if (extras.contains(key)) out[key] = value;
  return out;
}

json null_if_empty(const std::string& text) { return text.empty() ? json() : json(text); }

// Processed.js(): the request as it ran, one entry per image in the all_* lists.
std::string info_json(const GenerationRequest& request, const GenerationOutcome& outcome) {
  const GenerationParams& p = outcome.images.empty() ? request.params : outcome.images.front().params;
  const int count = request.params.batch_count * request.params.batch_size;
  json all_seeds = json::array(), all_subseeds = json::array(), infotexts = json::array();
  for (int i = 0; i < count; ++i) {
    all_seeds.push_back(request.params.seed + (request.params.variation_strength == 0 ? i : 0));
    all_subseeds.push_back(request.params.variation_seed + i);
  }
  for (const auto& image : outcome.images) infotexts.push_back(format_a1111_parameters(a1111_parameters(image.params)));
  std::string comments;
  if (!outcome.images.empty())
    for (const auto& note : outcome.images.front().notes) comments += note + "\n";
  const bool img2img = request.kind == RequestKind::Img2Img;
  const json info = {
      {"prompt", p.prompt},
      {"all_prompts", json(std::vector<std::string>(count, p.prompt))},
      {"negative_prompt", p.negative_prompt},
      {"all_negative_prompts", json(std::vector<std::string>(count, p.negative_prompt))},
      {"seed", request.params.seed},
      {"all_seeds", all_seeds},
      {"subseed", request.params.variation_seed},
      {"all_subseeds", all_subseeds},
      {"subseed_strength", p.variation_strength},
      {"width", p.width},
      {"height", p.height},
      {"sampler_name", std::string(choose_sampler(p.sampler, p.schedule).sampler->name)},
      {"cfg_scale", p.cfg_scale},
      {"steps", p.steps},
      {"batch_size", p.batch_size},
      {"restore_faces", false},
      {"face_restoration_model", nullptr},
      {"sd_model_name", p.model.stem().string()},
      {"sd_model_hash", null_if_empty(p.model_hash)},
      {"sd_vae_name", null_if_empty(p.vae_name)},
      {"sd_vae_hash", null_if_empty(p.vae_hash)},
      {"seed_resize_from_w", p.seed_resize_from_width > 0 ? p.seed_resize_from_width : -1},
      {"seed_resize_from_h", p.seed_resize_from_height > 0 ? p.seed_resize_from_height : -1},
      {"denoising_strength", img2img ? json(p.denoising_strength) : request.parameters.value("denoising_strength", json())},
      {"extra_generation_params", extra_generation_params(p)},
      {"index_of_first_image", 0},
      {"infotexts", infotexts},
      {"styles", json::array()},
      {"job_timestamp", outcome.job_timestamp},
      {"clip_skip", p.clip_skip},
      {"is_using_inpainting_conditioning", outcome.inpainting_model},
      // Processed.comments, which A1111 shows beside the images (its "Networks with errors").
      {"comments", comments},
  };
  return info.dump();
}

}  // namespace

std::string image_base64(const GeneratedImage& image, const RunInfo& run) {
  return base64_encode(encode_png(image.image, generated_image_texts(image, run)));
}

json generation_response(const GenerationRequest& request, const GenerationOutcome& outcome) {
  json images = json::array();
  if (request.send_images)
    for (const auto& image : outcome.images) images.push_back(image_base64(image, outcome.run));
  return {{"images", images}, {"parameters", request.parameters}, {"info", info_json(request, outcome)}};
}

}  // namespace atelier::server
