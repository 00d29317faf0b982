#include "core/pipeline/vae_tiling.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace atelier {
namespace {

// Tile starts along one axis of `size`, each `tile` long, neighbours overlapping by `overlap`,
// the last flush with the end.
std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap) {
  if (size <= tile) return {0};
  std::vector<int64_t> starts;
  for (int64_t start = 0;; start += tile - overlap) {
    if (start + tile >= size) {
      starts.push_back(size - tile);
      return starts;
    }
    starts.push_back(start);
  }
}

// Cross-fade weights along one axis of a tile: linear ramps over the overlaps shared with the
// previous (`fade_in`) and next (`fade_out`) tile, 1 elsewhere.
at::Tensor ramp(int64_t length, int64_t fade_in, int64_t fade_out, const at::TensorOptions& options) {
  auto weights = at::ones({length}, options);
  auto rising = [&](int64_t n) { return (at::arange(n, options) + 1) / static_cast<double>(n + 1); };
  if (fade_in > 0) weights.narrow(0, 0, fade_in).mul_(rising(fade_in));
  if (fade_out > 0) weights.narrow(0, length - fade_out, fade_out).mul_(rising(fade_out).flip(0));
  return weights;
}

// Applies `transform` (which scales spatial size by `scale`) tile by tile over `input` and
// blends the outputs into one tensor with `out_channels` channels.
at::Tensor map_tiles(const at::Tensor& input, TileLayout layout, double scale, int64_t out_channels,
                     const std::function<at::Tensor(const at::Tensor&)>& transform) {
  const int64_t h = input.size(2), w = input.size(3);
  const int64_t tile_h = std::min(layout.tile, h), tile_w = std::min(layout.tile, w);
  const auto rows = tile_starts(h, tile_h, layout.overlap);
  const auto cols = tile_starts(w, tile_w, layout.overlap);
  const auto out_h = static_cast<int64_t>(h * scale), out_w = static_cast<int64_t>(w * scale);
  auto float_options = input.options().dtype(at::kFloat);
  auto sum = at::zeros({input.size(0), out_channels, out_h, out_w}, float_options);
  auto weight_sum = at::zeros({1, 1, out_h, out_w}, float_options);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < cols.size(); ++c) {
      auto out = transform(input.narrow(2, rows[r], tile_h).narrow(3, cols[c], tile_w)).to(at::kFloat);
      const int64_t y = rows[r] * scale, x = cols[c] * scale, th = out.size(2), tw = out.size(3);
      // The overlap actually shared with the previous tile (the last tile may overlap more).
      const int64_t fade_y = r > 0 ? (rows[r - 1] + tile_h - rows[r]) * scale : 0;
      const int64_t fade_x = c > 0 ? (cols[c - 1] + tile_w - cols[c]) * scale : 0;
      const int64_t next_fade_y = r + 1 < rows.size() ? (rows[r] + tile_h - rows[r + 1]) * scale : 0;
      const int64_t next_fade_x = c + 1 < cols.size() ? (cols[c] + tile_w - cols[c + 1]) * scale : 0;
      auto wy = ramp(th, fade_y, next_fade_y, float_options);
      auto wx = ramp(tw, fade_x, next_fade_x, float_options);
      auto weights = wy.view({1, 1, th, 1}) * wx.view({1, 1, 1, tw});
      sum.narrow(2, y, th).narrow(3, x, tw).add_(out * weights);
      weight_sum.narrow(2, y, th).narrow(3, x, tw).add_(weights);
    }
  }
  return sum / weight_sum;
}

}  // namespace

bool tiling_needed(int64_t latent_height, int64_t latent_width) { return latent_height * latent_width > 128 * 128; }

at::Tensor decode_tiled(AutoencoderKL& vae, const at::Tensor& latent, TileLayout layout) {
  const double scale = vae->config().downsample_factor();
  return map_tiles(latent, layout, scale, vae->config().out_channels,
                   [&](const at::Tensor& tile) { return vae->decode(tile); });
}

at::Tensor encode_mean_tiled(AutoencoderKL& vae, const at::Tensor& image, TileLayout layout) {
  const int64_t factor = vae->config().downsample_factor();
  TileLayout pixels{layout.tile * factor, layout.overlap * factor};
  return map_tiles(image, pixels, 1.0 / factor, vae->config().embed_dim,
                   [&](const at::Tensor& tile) { return vae->encode(tile).mean; });
}

}  // namespace atelier
