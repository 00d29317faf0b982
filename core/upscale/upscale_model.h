#pragma once
// Upscaler weight files as users download them: told apart by their tensors' names, sized by
// their shapes, and loaded into esrgan_networks.h's modules (F32, CPU). Nothing in a file runs:
// `.pth` / `.pt` go through the restricted unpickler (a "params_ema" or "params" wrapper, as
// BasicSR saves, is looked into), `.safetensors` are memory-mapped.
//
// RRDBNet files come in three namings, all read (as A1111's modules/esrgan_model.py and
// ComfyUI's / spandrel's RRDB loaders read them):
//   BasicSR / Real-ESRGAN: conv_first, body.N.rdb1.conv1, conv_body, conv_up1, conv_hr, conv_last
//   ESRGAN (2019):         conv_first, RRDB_trunk.N.RDB1.conv1, trunk_conv, upconv1, HRconv, conv_last
//   old ESRGAN:            model.0, model.1.sub.N.RDB1.conv1.0, model.1.sub.<nb>, model.3, model.6, ...
//                          (each upsampling conv 3 places on, then HR conv +2, last conv +4)
// a "module." prefix (a model saved from DataParallel) is ignored. The features, blocks and
// growth channels come from the shapes; the scale from the number of upsampling convolutions
// and the pixel unshuffle, which conv_first's input channels reveal (4× or 16× the output's).
#include <filesystem>
#include <memory>
#include <string>

#include "core/io/tensor_source.h"
#include "core/upscale/esrgan_networks.h"

namespace atelier {

struct LoadedUpscaler {
  std::shared_ptr<UpscaleNetwork> network;  // in eval mode, F32, on the CPU
  std::string description;                  // "RRDBNet x4 (64 features, 23 blocks), old ESRGAN names"
};

// Throws FormatError naming the file (and the tensor) for a damaged, hostile or truncated file
// or a tensor of the wrong shape; UnsupportedModel naming the file for weights of another
// architecture (SwinIR, DAT, ESRGAN+, a compact model without PReLU ...).
LoadedUpscaler load_upscaler(const std::filesystem::path& path);
LoadedUpscaler load_upscaler(const std::shared_ptr<const TensorSource>& weights);

}  // namespace atelier
