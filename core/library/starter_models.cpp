#include "core/library/starter_models.h"

#include <algorithm>

#include "core/library/model_download.h"

namespace atelier {

// Sizes and sha256 are the Git LFS pointers (oid, size) of the files as Hugging Face shows them
// (the file's page, or a commit adding the same file); licences are the model pages' licence tags.
// Where the exact byte count or the digest was not found, the field is left empty (0 / "") rather
// than guessed: the download is then checked against the server's Content-Length only.
const std::vector<StarterModel>& starter_models() {
  static const std::vector<StarterModel> models{
      // runwayml/stable-diffusion-v1-5 moved here; pointer as in runwayml's repository (commit c4528a4).
      {.name = "sd15",
       .title = "Stable Diffusion 1.5",
       .repo = "stable-diffusion-v1-5/stable-diffusion-v1-5",
       .file = "v1-5-pruned-emaonly.safetensors",
       .size = 4265146304,
       .family = ModelFamily::SD1,
       .licence = "CreativeML Open RAIL-M",
       .sha256 = "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"},
      // runwayml/stable-diffusion-inpainting moved here; only the .ckpt was published as one file.
      {.name = "sd15-inpainting",
       .title = "Stable Diffusion 1.5 Inpainting",
       .repo = "stable-diffusion-v1-5/stable-diffusion-inpainting",
       .file = "sd-v1-5-inpainting.ckpt",
       .size = 4265437280,
       .family = ModelFamily::SD1,
       .licence = "CreativeML Open RAIL-M",
       .sha256 = "c6bbc15e3224e6973459ba78de4998b80b50112b0ae5b5c67113d56b4e366b19"},
      {.name = "sd21",
       .title = "Stable Diffusion 2.1 (768, v-prediction)",
       .repo = "stabilityai/stable-diffusion-2-1",
       .file = "v2-1_768-ema-pruned.safetensors",
       .size = 5214604494,
       .family = ModelFamily::SD2,
       .licence = "CreativeML Open RAIL++-M",
       .sha256 = "dcd690123cfc64383981a31d955694f6acf2072a80537fdb612c8e58ec87a8ac"},
      {.name = "sdxl-base",
       .title = "Stable Diffusion XL base 1.0",
       .repo = "stabilityai/stable-diffusion-xl-base-1.0",
       .file = "sd_xl_base_1.0.safetensors",
       .size = 6938078334,
       .family = ModelFamily::SDXLBase,
       .licence = "CreativeML Open RAIL++-M",
       .sha256 = "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b"},
      {.name = "sdxl-refiner",
       .title = "Stable Diffusion XL refiner 1.0",
       .repo = "stabilityai/stable-diffusion-xl-refiner-1.0",
       .file = "sd_xl_refiner_1.0.safetensors",
       .size = 6075981930,
       .family = ModelFamily::SDXLRefiner,
       .licence = "CreativeML Open RAIL++-M",
       .sha256 = "7440042bbdc8a24813002c09b6b69b64dc90fded4472613437b7f55f9b7d9c5f"},
      // Size: the page says 5.21 GB; the exact byte count was not found.
      {.name = "sd-turbo",
       .title = "SD-Turbo (SD 2.1 distilled, 1 to 4 steps at 512)",
       .repo = "stabilityai/sd-turbo",
       .file = "sd_turbo.safetensors",
       .family = ModelFamily::SD2,
       .licence = "Stability AI Community License",
       .sha256 = "3f067a1b943cf162f2b8f8588f6cf5824bd5b4c7d1d88d87164b9ca123616549"},
      {.name = "sdxl-turbo",
       .title = "SDXL-Turbo (fp16, 1 to 4 steps at 512)",
       .repo = "stabilityai/sdxl-turbo",
       .file = "sd_xl_turbo_1.0_fp16.safetensors",
       .size = 6938081905,
       .family = ModelFamily::SDXLBase,
       .licence = "Stability AI Non-Commercial Research Community License (sai-nc-community)",
       .sha256 = "e869ac7d6942cb327d68d5ed83a40447aadf20e0c3358d98b2cc9e270db0da26"},
      // Size: the page says 335 MB; the exact byte count was not found.
      {.name = "sdxl-vae-fp16-fix",
       .title = "SDXL VAE, fixed for fp16 (madebyollin)",
       .repo = "madebyollin/sdxl-vae-fp16-fix",
       .file = "sdxl.vae.safetensors",
       .family = ModelFamily::SDXLBase,
       .licence = "MIT",
       .sha256 = "235745af8d86bf4a4c1b5b4f529868b37019a10f7c0b2e79ad0abca3a22bc6e1",
       .kind = ModelKind::Vae},
      // The TAESD files are replaced in place by new versions (1.1, 1.2, 1.3 ...) on the main
      // branch, so no digest or size stays true for long: neither is pinned.
      {.name = "taesd",
       .title = "TAESD decoder (live previews, SD 1.x and 2.x)",
       .repo = "madebyollin/taesd",
       .file = "taesd_decoder.safetensors",
       .family = ModelFamily::SD1,
       .licence = "MIT",
       .kind = ModelKind::Taesd},
      {.name = "taesdxl",
       .title = "TAESDXL decoder (live previews, SDXL)",
       .repo = "madebyollin/taesdxl",
       .file = "taesdxl_decoder.safetensors",
       .family = ModelFamily::SDXLBase,
       .licence = "MIT",
       .kind = ModelKind::Taesd},
      // Real-ESRGAN's own release (not on Hugging Face); the digest and size are those of the
      // identical copies on Hugging Face (the release page gives none).
      {.name = "realesrgan-x4plus",
       .title = "Real-ESRGAN x4plus upscaler",
       .file = "RealESRGAN_x4plus.pth",
       .url = "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/RealESRGAN_x4plus.pth",
       .size = 67040989,
       .licence = "BSD-3-Clause",
       .sha256 = "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1",
       .kind = ModelKind::Upscaler},
  };
  return models;
}

std::optional<StarterModel> find_starter_model(std::string_view name) {
  const auto& models = starter_models();
  const auto found = std::ranges::find(models, name, &StarterModel::name);
  return found == models.end() ? std::nullopt : std::optional(*found);
}

std::string starter_model_url(const StarterModel& model) {
  return model.url.empty() ? hugging_face_url(model.repo, model.file) : model.url;
}

}  // namespace atelier
