#pragma once
// Running an upscaling network over an image tile by tile, as A1111's
// modules/upscaler_utils.upscale_with_model does (images.split_grid, images.combine_grid): tiles
// of `tile` pixels placed evenly so that neighbours overlap by at least `overlap`; each tile's
// first `overlap * scale` output columns (rows) fade in linearly over its left (upper)
// neighbour, and the rest of it replaces what lay there.
//
// Two differences from A1111, both to keep the network's input the image itself: a side shorter
// than the tile gets a tile of its length (A1111 crops a tile beyond the image, which adds black
// borders the network sees), and the blending is done in F32, before the 8-bit rounding.
//
// Memory: the activations of one tile and the F32 output (12 bytes per output pixel), whatever
// the image's size.
#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace atelier {

struct TileOptions {
  int tile = 192;    // A1111's "Tile size for ESRGAN upscalers" (ESRGAN_tile); 0: the whole image at once
  int overlap = 8;   // A1111's "Tile overlap" (ESRGAN_tile_overlap), in input pixels
};

// Where the tiles start along a side of `length` pixels (A1111's split_grid); `tile` <= length.
std::vector<int> tile_starts(int length, int tile, int overlap);

// F32 [1, C, H, W] -> [1, C, H * scale, W * scale]: network(tile) for every tile, blended.
// InvalidArgument when a tile's output is not `scale` times its size or the options are negative.
using ImageNetwork = std::function<at::Tensor(const at::Tensor&)>;
at::Tensor upscale_tiled(const ImageNetwork& network, int scale, const at::Tensor& image, const TileOptions& options);

}  // namespace atelier
