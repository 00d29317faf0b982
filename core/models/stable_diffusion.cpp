#include "core/models/stable_diffusion.h"

#include <ATen/Context.h>

#include "core/models/model_source.h"
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

// Loads `network`'s weights now (null result), or prepares them to be streamed through the
// model's pool, with its edits (but for the VAE's, which networks never change).
std::shared_ptr<const WeightStream> load(torch::nn::Module& network, const std::shared_ptr<const TensorSource>& source,
                                         const std::string& prefix, c10::Device device, c10::ScalarType dtype,
                                         const StableDiffusionModel& model, bool stream, bool edited = true) {
  network.eval();
  if (stream)
    return std::make_shared<const WeightStream>(network, source, prefix, device, dtype, model.weight_pool,
                                                edited ? model.weight_edits : nullptr);
  network.to(device, dtype);
  load_weights(network, *source, prefix);
  return nullptr;
}

}  // namespace

TextEncodersInUse::TextEncodersInUse(const StableDiffusionModel& model) {
  for (const auto& encoder : model.text_encoders)
    in_use_.push_back(std::make_unique<WeightsInUse>(encoder.weights.get(), *encoder.network, std::string(),
                                                     encoder.network->blocks_prefix()));
}

bool is_v_prediction_sd2(UNetImpl& unet) {
  const auto& config = unet.config();
  const auto options = unet.parameters().front().options();
  const auto x = at::full({1, config.in_channels, 8, 8}, 0.5, options);
  const auto context = at::full({1, 2, config.context_dim}, 0.5, options);
  const auto timesteps = at::full({1}, 999, options.dtype(at::kLong));
  return (unet.forward(x, timesteps, context) - x).mean().item<double>() < -1;
}

StableDiffusionModel load_stable_diffusion(const std::filesystem::path& checkpoint, const LoadOptions& options) {
  const auto file = open_model_source(checkpoint);
  StableDiffusionModel model;
  model.info = inspect_checkpoint(*file);
  require_supported(model.info);
  const auto [device, dtype, vae_dtype, stream, stream_text] = options;
  if (stream || stream_text) {
    model.weight_pool = std::make_shared<WeightPool>();
    model.weight_edits = std::make_shared<StreamedWeightEdits>();
  }
  for (const auto& info : model.info.text_encoders) {
    std::shared_ptr<TextTransformerImpl> network;
    if (info.layout == TextEncoderInfo::Layout::OpenClip)
      network = OpenClipTextEncoder(info.config).ptr();
    else
      network = ClipTextEncoder(info.config).ptr();
    auto weights = load(*network, file, info.prefix, device, dtype, model, stream || stream_text);
    network->stream_blocks(weights);
    model.text_encoders.push_back({info, std::move(network), std::move(weights)});
  }
  model.unet = UNet(model.info.unet);
  model.unet->stream_weights(load(*model.unet, file, "model.diffusion_model.", device, dtype, model, stream));
  if (model.info.family == ModelFamily::SD2 && !model.info.prediction_from_config) {
    at::InferenceMode inference;
    model.info.prediction = is_v_prediction_sd2(*model.unet) ? Prediction::V : Prediction::Epsilon;
    model.info.prediction_from_config = true;
  }
  model.vae = AutoencoderKL(model.info.vae);
  model.vae_weights =
      load(*model.vae, file, "first_stage_model.", device, vae_dtype.value_or(dtype), model, stream, /*edited=*/false);
  if (!stream) use_fastest_layouts(model, device, dtype);
  return model;
}

}  // namespace atelier
