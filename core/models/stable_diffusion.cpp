#include "core/models/stable_diffusion.h"

#include "core/models/weights.h"

namespace atelier {
namespace {

template <typename ModuleHolder>
ModuleHolder build(ModuleHolder module, const SafetensorsFile& file, const std::string& prefix,
                   c10::Device device, c10::ScalarType dtype) {
  module->to(device, dtype);
  load_weights(*module, file, prefix);
  module->eval();
  return module;
}

}  // namespace

StableDiffusionModel load_stable_diffusion(const std::filesystem::path& checkpoint, c10::Device device,
                                           c10::ScalarType dtype, std::optional<c10::ScalarType> vae_dtype) {
  SafetensorsFile file(checkpoint);
  StableDiffusionModel model;
  model.info = inspect_checkpoint(file);
  require_supported(model.info);
  model.text_encoder = build(ClipTextEncoder(model.info.clip), file, model.info.text_encoder_prefix, device, dtype);
  model.unet = build(UNet(model.info.unet), file, "model.diffusion_model.", device, dtype);
  model.vae = build(AutoencoderKL(model.info.vae), file, "first_stage_model.", device, vae_dtype.value_or(dtype));
  // Measured on the CPU: channels-last decodes about 8 % faster; the UNet ran slower with it.
  store_conv_weights_channels_last(*model.vae);
  return model;
}

}  // namespace atelier
