#pragma once
// Outpainting: the init image on a canvas grown by the requested borders, the new area
// repainted. Unlike A1111's "Poor man's outpainting" the canvas is exactly the image plus
// the borders (no rounding to 64).
#include "core/io/image.h"
#include "core/pipeline/generation_params.h"

namespace atelier {

struct Canvas {
  Image8 image;
  Image8 mask;  // grey, 255 = repaint
};

// `image` with `borders` added, the new pixels stretched from the image's outermost rows and
// columns (the edge extended, as A1111's "Resize and fill" fills), so the sampler starts from
// the colours at the edge; masked content then applies to the new area as to any mask. The
// mask is white over the new area and `mask` (the image's size, binary) inside.
Canvas extend_canvas(const Image8& image, const Image8& mask, GenerationParams::Borders borders);

// The canvas grown on the right and bottom to width x height (the generation size, a multiple
// of 8), the new pixels stretched from the edge and kept (black in the mask): the sampler's
// size, cropped away afterwards.
Canvas padded_canvas(const Canvas& canvas, int width, int height);

}  // namespace atelier
