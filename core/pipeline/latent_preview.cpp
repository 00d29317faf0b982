#include "core/pipeline/latent_preview.h"

namespace atelier {

Image8 preview_image(const at::Tensor& latent) {
  // Rows: latent channels; columns: R, G, B. Fitted on SD1 latents by the A1111 authors.
  static const float factors[4][3] = {
      {0.298f, 0.207f, 0.208f}, {0.187f, 0.286f, 0.173f}, {-0.158f, 0.189f, 0.264f}, {-0.184f, -0.271f, -0.473f}};
  auto projection = at::from_blob(const_cast<float*>(&factors[0][0]), {4, 3}, at::kFloat);
  auto rgb = at::einsum("chw,cr->rhw", {latent.detach().to(at::kCPU, at::kFloat), projection});
  return tensor_to_image(rgb.unsqueeze(0));
}

Image8 LivePreview::operator()(const at::Tensor& latent) const {
  if (!taesd_) return preview_image(latent);
  // TAESD decodes to [0, 1]; A1111 maps it to [-1, 1] and saves it as it saves images.
  return tensor_to_image(taesd_->decode(latent.detach().unsqueeze(0)) * 2 - 1);
}

}  // namespace atelier
