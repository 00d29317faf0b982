#pragma once
// A1111's inpainting inputs (img2img "Inpaint masked", masked content "original", inpaint area
// "whole picture"; modules/processing.py): the mask as it reads and blurs it, the two latent-size
// masks it derives (c_concat's and the blending one differ). The other modes: inpaint_plan.h.
#include <ATen/ATen.h>

#include <filesystem>

#include "core/io/image.h"

namespace atelier {

// The mask at the generation size, 8-bit, 255 = repaint (R = G = B).
using InpaintMask = Image8;

// Reads `path` as A1111 does: luma, then > 128 -> 255 else 0 (mask_round), a Gaussian blur of
// `blur` pixels along x then y (cv2.GaussianBlur, kernel 2 int(2.5 blur + 0.5) + 1), then
// fitted to width x height by `mode` like the init image. FormatError naming the file.
InpaintMask load_inpaint_mask(const std::filesystem::path& path, int width, int height, ResizeMode mode, int blur);

// round(mask / 255) [1, 1, H, W] (F32): the inpainting model's mask, before c_concat takes its
// latent-size 'nearest' sample (the top-left pixel of each 8x8 block).
at::Tensor conditioning_mask(const InpaintMask& mask);

// The blending mask, 1 = repaint [1, 1, h, w] (F32): PIL's antialiased bicubic reduction to the
// latent size, / 255, rounded (A1111's latmask / nmask).
at::Tensor latent_repaint_mask(const InpaintMask& mask, int latent_height, int latent_width);

}  // namespace atelier
