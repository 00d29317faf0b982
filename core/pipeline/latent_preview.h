#pragma once
// Live previews of the latent being sampled: TAESD's decoder when the user has its weights
// (full resolution, as A1111's "TAESD" and ComfyUI's "taesd" preview methods), else A1111's
// "Approx cheap" projection (latent resolution, no network at all).
#include <ATen/ATen.h>

#include <memory>

#include "core/io/image.h"
#include "core/models/taesd_decoder.h"

namespace atelier {

// latent [4, h, w] (any device/dtype) -> an h x w RGB image (A1111's "Approx cheap" factors).
Image8 preview_image(const at::Tensor& latent);

class LivePreview {
 public:
  LivePreview() = default;  // the cheap projection
  explicit LivePreview(std::shared_ptr<const TaesdDecoder> taesd) : taesd_(std::move(taesd)) {}

  // latent [C, h, w] as the sampler holds it -> the preview image: TAESD's clamp(decode, 0, 1)
  // at 8w x 8h, or preview_image().
  Image8 operator()(const at::Tensor& latent) const;

  bool full_resolution() const { return taesd_ != nullptr; }

 private:
  std::shared_ptr<const TaesdDecoder> taesd_;
};

}  // namespace atelier
