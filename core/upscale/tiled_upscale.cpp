#include "core/upscale/tiled_upscale.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace atelier {
namespace {

// Writes `piece` into `target` at `offset` along `dim`: its first `band` slices fade in linearly
// over what is there (weight i / band for slice i, A1111's mask ramp), the rest replaces it.
void paste_blended(at::Tensor& target, const at::Tensor& piece, std::int64_t offset, int dim, std::int64_t band) {
  const auto length = piece.size(dim);
  band = std::min(band, length);
  if (band > 0) {
    std::vector<std::int64_t> ramp_shape(4, 1);
    ramp_shape[dim] = band;
    const auto ramp = (at::arange(band, piece.options()) / static_cast<double>(band)).reshape(ramp_shape);
    auto under = target.narrow(dim, offset, band);
    under.copy_(under + (piece.narrow(dim, 0, band) - under) * ramp);
  }
  target.narrow(dim, offset + band, length - band).copy_(piece.narrow(dim, band, length - band));
}

}  // namespace

std::vector<int> tile_starts(int length, int tile, int overlap) {
  if (tile >= length) return {0};
  const int columns = (length - overlap + (tile - overlap) - 1) / (tile - overlap);  // ceil
  const double step = columns > 1 ? static_cast<double>(length - tile) / (columns - 1) : 0.0;
  std::vector<int> starts;
  for (int i = 0; i < columns; ++i) starts.push_back(std::min(static_cast<int>(i * step), length - tile));
  return starts;
}

at::Tensor upscale_tiled(const ImageNetwork& network, int scale, const at::Tensor& image, const TileOptions& options) {
  if (options.tile < 0 || options.overlap < 0)
    throw InvalidArgument("tile size and overlap must not be negative (got " + std::to_string(options.tile) + " and " +
                          std::to_string(options.overlap) + ")");
  const int height = static_cast<int>(image.size(2)), width = static_cast<int>(image.size(3));
  const int tile_w = options.tile == 0 ? width : std::min(options.tile, width);
  const int tile_h = options.tile == 0 ? height : std::min(options.tile, height);
  if ((tile_w < width || tile_h < height) && options.tile <= options.overlap)
    throw InvalidArgument("the tile size (" + std::to_string(options.tile) + ") must be larger than the overlap (" +
                          std::to_string(options.overlap) + ")");

  const auto run = [&](const at::Tensor& tile) {
    at::Tensor out = network(tile);
    if (out.dim() != 4 || out.size(2) != tile.size(2) * scale || out.size(3) != tile.size(3) * scale)
      throw InvalidArgument("the upscaler gave " + std::to_string(out.size(-1)) + "x" + std::to_string(out.size(-2)) +
                            " for a " + std::to_string(tile.size(3)) + "x" + std::to_string(tile.size(2)) +
                            " tile, not " + std::to_string(scale) + " times its size");
    return out;
  };
  const auto xs = tile_starts(width, tile_w, options.overlap);
  const auto ys = tile_starts(height, tile_h, options.overlap);
  const std::int64_t band = static_cast<std::int64_t>(options.overlap) * scale;
  at::Tensor result;
  for (std::size_t row = 0; row < ys.size(); ++row) {
    at::Tensor strip;
    for (std::size_t column = 0; column < xs.size(); ++column) {
      const at::Tensor out = run(image.narrow(2, ys[row], tile_h).narrow(3, xs[column], tile_w));
      if (!strip.defined()) strip = at::empty({out.size(0), out.size(1), out.size(2), width * scale}, out.options());
      paste_blended(strip, out, xs[column] * scale, 3, column == 0 ? 0 : band);
    }
    if (!result.defined()) result = at::empty({strip.size(0), strip.size(1), height * scale, width * scale}, strip.options());
    paste_blended(result, strip, ys[row] * scale, 2, row == 0 ? 0 : band);
  }
  return result;
}

}  // namespace atelier
