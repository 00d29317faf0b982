#include "core/pipeline/hires_size.h"

namespace atelier {

HiresSize hires_size(const GenerationParams& p, int latent_factor) {
  HiresSize size;
  const int x = p.hires_width, y = p.hires_height;
  if (x == 0 && y == 0) {
    size.upscale_width = static_cast<int>(p.width * p.hires_scale);
    size.upscale_height = static_cast<int>(p.height * p.hires_scale);
    return size;
  }
  // The side given, the other in the first pass's proportion; with both, the covering one.
  const bool by_width = y == 0 || (x != 0 && static_cast<double>(p.width) / p.height < static_cast<double>(x) / y);
  if (by_width) {
    size.upscale_width = x;
    size.upscale_height = x * p.height / p.width;
  } else {
    size.upscale_width = y * p.width / p.height;
    size.upscale_height = y;
  }
  if (x != 0 && y != 0) {
    size.crop_columns = (size.upscale_width - x) / latent_factor;
    size.crop_rows = (size.upscale_height - y) / latent_factor;
  }
  return size;
}

}  // namespace atelier
