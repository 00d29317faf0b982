#include "core/models/stable_diffusion.h"

#include <ATen/Context.h>

#include "core/models/weights.h"

namespace atelier {
namespace {

constexpr int kPackedMinChannels = 640;

// Convolution weight layouts by device. Measured on the CPU: the VAE decodes about 8 % faster
// channels-last; the UNet ran slower so, but gains from packed weights where its convolutions
// are small (layers.h). cuDNN's tensor cores want channels-last (NHWC) for fp16.
void use_fastest_layouts(StableDiffusionModel& model, c10::Device device, c10::ScalarType dtype) {
  store_conv_weights_channels_last(*model.vae);
  if (device.is_cuda()) store_conv_weights_channels_last(*model.unet);
  // LibTorch builds without oneDNN (some ARM ones) have no packed convolutions.
  if (device.is_cpu() && dtype == c10::kFloat && at::hasMKLDNN())
    pack_convolutions_for_onednn(*model.unet, kPackedMinChannels);
}

// Loads `network`'s weights now (null result), or prepares them to be streamed.
std::shared_ptr<const WeightStream> load(torch::nn::Module& network, const std::shared_ptr<const SafetensorsFile>& file,
                                         const std::string& prefix, c10::Device device, c10::ScalarType dtype,
                                         bool stream) {
  network.eval();
  if (stream) return std::make_shared<const WeightStream>(network, file, prefix, device, dtype);
  network.to(device, dtype);
  load_weights(network, *file, prefix);
  return nullptr;
}

}  // namespace

StableDiffusionModel load_stable_diffusion(const std::filesystem::path& checkpoint, const LoadOptions& options) {
  const auto file = std::make_shared<const SafetensorsFile>(checkpoint);
  StableDiffusionModel model;
  model.info = inspect_checkpoint(*file);
  require_supported(model.info);
  const auto [device, dtype, vae_dtype, stream] = options;
  model.text_encoder = ClipTextEncoder(model.info.clip);
  model.text_encoder_weights =
      load(*model.text_encoder, file, model.info.text_encoder_prefix, device, dtype, stream);
  model.unet = UNet(model.info.unet);
  model.unet->stream_weights(load(*model.unet, file, "model.diffusion_model.", device, dtype, stream));
  model.vae = AutoencoderKL(model.info.vae);
  model.vae_weights = load(*model.vae, file, "first_stage_model.", device, vae_dtype.value_or(dtype), stream);
  if (!stream) use_fastest_layouts(model, device, dtype);
  return model;
}

}  // namespace atelier
