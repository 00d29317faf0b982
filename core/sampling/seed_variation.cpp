#include "core/sampling/seed_variation.h"

#include <string>

#include "core/error.h"

namespace atelier {
namespace {

// Python's // (rounds towards minus infinity), which A1111's centring arithmetic uses.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// `small` ([C, h, w]) centred on `large` ([C, H, W]): cropped where it is bigger, as A1111 pastes it.
void paste_centred(at::Tensor& large, const at::Tensor& small) {
  std::int64_t starts[2][2];  // per axis (rows, columns): where in `large`, where in `small`
  std::int64_t lengths[2];
  for (int axis = 0; axis < 2; ++axis) {
    const std::int64_t big = large.size(axis + 1), part = small.size(axis + 1);
    const std::int64_t offset = floor_div(big - part, 2);
    lengths[axis] = offset >= 0 ? part : part + 2 * offset;
    starts[axis][0] = offset >= 0 ? offset : 0;
    starts[axis][1] = offset >= 0 ? 0 : -offset;
  }
  large.narrow(1, starts[0][0], lengths[0])
      .narrow(2, starts[1][0], lengths[1])
      .copy_(small.narrow(1, starts[0][1], lengths[0]).narrow(2, starts[1][1], lengths[1]));
}

}  // namespace

at::Tensor a1111_slerp(double val, const at::Tensor& low, const at::Tensor& high) {
  const auto low_norm = low / at::norm(low, 2, {1}, /*keepdim=*/true);
  const auto high_norm = high / at::norm(high, 2, {1}, /*keepdim=*/true);
  const auto dot = (low_norm * high_norm).sum(1);
  if (dot.mean().item<double>() > 0.9995) return low * val + high * (1 - val);
  const auto omega = at::acos(dot);
  const auto so = at::sin(omega);
  return (at::sin(omega * (1.0 - val)) / so).unsqueeze(1) * low + (at::sin(omega * val) / so).unsqueeze(1) * high;
}

at::Tensor initial_noise(BatchNoise& noise, at::IntArrayRef shape, const SeedVariation& variation) {
  const auto images = noise.seeds().size();
  if (shape.size() != 4 || shape[0] != static_cast<std::int64_t>(images))
    throw InvalidArgument("initial noise for a batch of " + std::to_string(images) + " images was asked for shape " +
                          c10::str(shape));
  const bool varied = variation.strength != 0;
  if (varied && variation.variation_seeds.size() != images)
    throw InvalidArgument("one variation seed per image expected, got " + std::to_string(variation.variation_seeds.size()));
  const std::vector<std::int64_t> own_shape(shape.begin() + 1, shape.end());
  std::vector<std::int64_t> noise_shape = own_shape;
  if (variation.from_latent_height > 0 && variation.from_latent_width > 0)
    noise_shape = {own_shape[0], variation.from_latent_height, variation.from_latent_width};
  const bool resized = noise_shape != own_shape;

  std::vector<at::Tensor> draws;
  for (std::size_t i = 0; i < images; ++i) {
    // The resized noise comes from a fresh source of the image's seed; the image's own stream
    // then draws the full-size noise it is pasted into, as A1111's generator does.
    auto x = resized ? make_noise(noise.kind(), noise.seeds()[i])->randn(noise_shape) : noise.image(i).randn(own_shape);
    if (varied)
      x = a1111_slerp(variation.strength, x, make_noise(noise.kind(), variation.variation_seeds[i])->randn(noise_shape));
    if (resized) {
      auto full = noise.image(i).randn(own_shape);
      paste_centred(full, x);
      x = full;
    }
    draws.push_back(x);
  }
  return at::stack(draws);
}

}  // namespace atelier
