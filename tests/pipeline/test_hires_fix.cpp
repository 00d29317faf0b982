// A1111's hires fix on the tiny model, 64x64 -> 128x128: the target size arithmetic, the latent
// modes against torch's interpolate formulas, and both passes against the stages run by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <optional>

#include "core/error.h"
#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "core/gallery/metadata_readers.h"
#include "core/io/image_scaling.h"
#include "core/pipeline/hires_fix.h"
#include "core/sampling/sampler_registry.h"
#include "pipeline/tiny_pipeline.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

GenerationParams first_pass_params() {
  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = "a lighthouse at dusk";
  params.negative_prompt = "blurry";
  params.sampler = "Euler a";  // ancestral: the second pass's later draws must continue its fresh noise
  params.steps = 2;
  params.seed = 77;
  params.width = params.height = 64;
  params.device = DeviceChoice::Cpu;
  return params;
}

// The first pass run alone, once: plain txt2img.
const GeneratedImage& plain_first_pass() {
  static const GeneratedImage plain = tiny_pipeline().generate(first_pass_params()).at(0);
  return plain;
}

GenerationParams hires_params(const std::string& upscaler = "Latent") {
  auto params = first_pass_params();
  params.hires_fix = true;
  params.hires_scale = 2;
  params.hires_steps = 2;
  params.hires_upscaler = upscaler;
  params.denoising_strength = 0.6;
  return params;
}

// The second pass by hand through the public API: the upscaled latent noised with a fresh
// source of the image's seed, A1111's fixed-step img2img of the hires prompts at 128x128, their
// prompt editing over `editing_steps` hires steps (default: the hires steps).
at::Tensor second_pass_by_hand(const GenerationParams& p, const at::Tensor& upscaled,
                               std::optional<int> editing_steps = std::nullopt) {
  auto& pipeline = tiny_pipeline();
  at::InferenceMode inference;
  GenerationParams hires = p;
  hires.width = hires.height = 128;
  if (!p.hires_prompt.empty()) hires.prompt = p.hires_prompt;
  if (!p.hires_negative_prompt.empty()) hires.negative_prompt = p.hires_negative_prompt;
  const int steps = p.hires_steps > 0 ? p.hires_steps : p.steps;
  const auto prompts = pipeline.encode_prompts(hires, ScheduleOptions{editing_steps.value_or(steps)});
  BatchNoise noise(p.noise, {static_cast<std::uint64_t>(p.seed)});
  const auto initial = noise.randn(upscaled.sizes());
  const auto& info = pipeline.model().info;
  const SamplingRun run{choose_sampler(p.hires_sampler.empty() ? p.sampler : p.hires_sampler, p.schedule),
                        steps,
                        false,
                        pipeline.guided_eps(prompts, p.cfg_scale),
                        DiscreteSchedule::scaled_linear(info.schedule.linear_start, info.schedule.linear_end,
                                                        info.schedule.timesteps),
                        false,
                        std::nullopt,
                        std::nullopt};
  return run_img2img_fixed_steps(run, upscaled, p.denoising_strength, initial, noise, {});
}

// torch's 1-D resampling weights of output index `i` (ATen's UpSample.h / UpSampleKernel.cpp):
// (input index, weight) pairs, indices clamped to the input as torch reads them.
using Taps = std::vector<std::pair<int, double>>;
using TapsOf = std::function<Taps(int i, int in, int out)>;

int clamped(int j, int in) { return std::clamp(j, 0, in - 1); }

Taps nearest(int i, int in, int out) {
  const float scale = static_cast<float>(in) / out;
  return {{std::min(static_cast<int>(std::floor(i * scale)), in - 1), 1.0}};
}

Taps nearest_exact(int i, int in, int out) {
  const float scale = static_cast<float>(in) / out;
  return {{std::min(static_cast<int>(std::floor((i + 0.5f) * scale)), in - 1), 1.0}};
}

Taps bilinear(int i, int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double source = std::max((i + 0.5) * scale - 0.5, 0.0);
  const int low = static_cast<int>(source);
  const double t = source - low;
  return {{low, 1 - t}, {clamped(low + 1, in), t}};
}

// Keys' cubic convolution with A = -0.75, torch's (non-antialiased) bicubic.
double cubic(double x, double a) {
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

Taps bicubic(int i, int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double source = (i + 0.5) * scale - 0.5;
  const int low = static_cast<int>(std::floor(source));
  const double t = source - low;
  Taps taps;
  for (int k = -1; k <= 2; ++k) taps.emplace_back(clamped(low + k, in), cubic(k - t, -0.75));
  return taps;
}

// The antialiased kernels (PIL's): the filter widened by the scale when shrinking, the weights
// over the taps inside the input normalised.
Taps antialiased(int i, int in, int out, double support_size, const std::function<double(double)>& filter) {
  const double scale = static_cast<double>(in) / out;
  const double support = scale >= 1 ? support_size * 0.5 * scale : support_size * 0.5;
  const double inverse = scale >= 1 ? 1 / scale : 1;
  const double centre = scale * (i + 0.5);
  const int first = std::max(static_cast<int>(centre - support + 0.5), 0);
  const int end = std::min(static_cast<int>(centre + support + 0.5), in);
  Taps taps;
  double total = 0;
  for (int j = first; j < end; ++j) {
    taps.emplace_back(j, filter((j - centre + 0.5) * inverse));
    total += taps.back().second;
  }
  for (auto& tap : taps) tap.second /= total;
  return taps;
}

Taps bilinear_aa(int i, int in, int out) {
  return antialiased(i, in, out, 2, [](double x) { return std::max(1 - std::abs(x), 0.0); });
}

Taps bicubic_aa(int i, int in, int out) {
  return antialiased(i, in, out, 4, [](double x) { return cubic(x, -0.5); });
}

// [1, C, H, W] resampled to height x width with separable taps.
at::Tensor resample(const at::Tensor& input, int height, int width, const TapsOf& taps_of) {
  const auto x = input.to(at::kDouble);
  const int in_h = static_cast<int>(x.size(2)), in_w = static_cast<int>(x.size(3));
  auto out = at::zeros({x.size(0), x.size(1), height, width}, x.options());
  for (int y = 0; y < height; ++y)
    for (int c = 0; c < width; ++c)
      for (const auto& [row, wy] : taps_of(y, in_h, height))
        for (const auto& [column, wx] : taps_of(c, in_w, width))
          out.select(2, y).select(2, c) += wy * wx * x.select(2, row).select(2, column);
  return out;
}

}  // namespace

TEST_CASE("hires_size follows A1111's calculate_target_resolution", "[hires]") {
  auto size_of = [](int width, int height, double scale, int resize_x, int resize_y) {
    GenerationParams p;
    p.width = width, p.height = height, p.hires_scale = scale, p.hires_width = resize_x, p.hires_height = resize_y;
    const auto s = hires_size(p, 8);
    return std::vector<int>{s.upscale_width, s.upscale_height, s.crop_columns, s.crop_rows};
  };
  // int(side * scale).
  CHECK(size_of(512, 768, 2, 0, 0) == std::vector<int>{1024, 1536, 0, 0});
  CHECK(size_of(512, 512, 1.33, 0, 0) == std::vector<int>{680, 680, 0, 0});
  // One side: the other in proportion, floor division.
  CHECK(size_of(512, 768, 2, 1000, 0) == std::vector<int>{1000, 1500, 0, 0});
  CHECK(size_of(512, 768, 2, 0, 1000) == std::vector<int>{666, 1000, 0, 0});
  // Both: cover the box, then crop (upscaled - target) // 8 latent rows or columns.
  CHECK(size_of(512, 768, 2, 1024, 1024) == std::vector<int>{1024, 1536, 0, 64});
  CHECK(size_of(768, 512, 2, 600, 1000) == std::vector<int>{1500, 1000, 112, 0});
  GenerationParams p;
  p.width = 768, p.height = 512, p.hires_width = 600, p.hires_height = 1000;
  CHECK(hires_size(p, 8).latent_width(8) == 75);
  CHECK(hires_size(p, 8).latent_height(8) == 125);
}

TEST_CASE("each latent mode is torch's interpolate with A1111's flags", "[hires]") {
  const auto latent = at::randn({1, 2, 5, 6}, at::TensorOptions().dtype(at::kFloat));
  struct Mode {
    const char* name;
    TapsOf taps;
  };
  const std::vector<Mode> modes{{"Latent", bilinear},
                                {"Latent (antialiased)", bilinear_aa},
                                {"Latent (bicubic)", bicubic},
                                {"Latent (bicubic antialiased)", bicubic_aa},
                                {"Latent (nearest)", nearest},
                                {"Latent (nearest-exact)", nearest_exact}};
  for (const auto& mode : modes) {
    INFO(mode.name);
    const auto parsed = latent_upscale_mode(mode.name);
    REQUIRE(parsed);
    // Up by uneven factors, and down, where antialiasing widens the kernel.
    for (const auto& [height, width] : {std::pair{11, 13}, std::pair{10, 12}, std::pair{3, 4}}) {
      const auto expected = resample(latent, height, width, mode.taps);
      CHECK((upscale_latent(latent, *parsed, height, width).to(at::kDouble) - expected).abs().max().item<double>() <
            1e-5);
    }
  }
  // The antialiased modes differ from the plain ones where they should: bicubic's A and the borders.
  const auto up_plain = upscale_latent(latent, *latent_upscale_mode("Latent (bicubic)"), 10, 12);
  const auto up_aa = upscale_latent(latent, *latent_upscale_mode("Latent (bicubic antialiased)"), 10, 12);
  CHECK((up_plain - up_aa).abs().max().item<double>() > 1e-3);
  CHECK_FALSE(latent_upscale_mode("Lanczos"));
  CHECK_FALSE(latent_upscale_mode("latent"));  // A1111's names are matched exactly
}

TEST_CASE("A1111's fixed-step img2img runs exactly N steps of an int(N / strength)-step schedule", "[hires]") {
  // Euler is deterministic: the result is sample_euler over the schedule's last N + 1 sigmas.
  const SamplerChoice choice = choose_sampler("Euler", "Automatic");
  const auto schedule = DiscreteSchedule::scaled_linear();
  EpsModel eps = [](const at::Tensor& x, const at::Tensor&) { return x * 0.1; };
  const SamplingRun run{choice, 3, false, eps, schedule, false, std::nullopt, std::nullopt};
  const auto latent = at::randn({1, 4, 2, 2}), noise = at::randn({1, 4, 2, 2});
  CpuNoise fresh(1);
  std::vector<int> steps;
  const auto result = run_img2img_fixed_steps(run, latent, 0.4, noise, fresh, [&](int step, int total, auto&, auto&) {
    steps.push_back(step);
    CHECK(total == 3);
  });
  CHECK(steps == std::vector<int>{0, 1, 2});
  const auto sigmas = sampler_sigmas(choice, 7, schedule).slice(0, 4);  // int(3 / 0.4) = 7 steps
  REQUIRE(sigmas.size(0) == 4);
  CpuNoise unused(1);
  const auto expected = choice.sampler->function(eps_denoiser(eps, schedule, false),
                                                 latent + noise * sigmas[0].item<double>(), sigmas, unused, {});
  CHECK(at::equal(result, expected));
  CHECK_THROWS_AS(run_img2img_fixed_steps(run, latent, 0, noise, fresh, {}), InvalidArgument);
}

TEST_CASE("latent hires fix: the first pass is plain txt2img, the second img2img of its upscaled latent",
          "[hires][pipeline]") {
  const auto& plain = plain_first_pass();
  std::vector<std::pair<int, int>> progress;
  const auto hires = tiny_pipeline().generate(hires_params(), [&](const GenerationProgress& p) {
    progress.emplace_back(p.step, p.steps);
  });
  REQUIRE(hires.size() == 1);
  CHECK(hires[0].image.width == 128);
  CHECK(hires[0].image.height == 128);
  CHECK(hires[0].params.width == 64);  // A1111's "Size" is the first pass's
  // One count over both passes: 2 steps, then 2.
  CHECK(progress == std::vector<std::pair<int, int>>{{1, 4}, {2, 4}, {3, 4}, {4, 4}});

  at::Tensor upscaled;
  {
    at::InferenceMode inference;
    upscaled = at::upsample_bilinear2d(plain.latent, std::vector<std::int64_t>{16, 16}, false);
  }
  const auto expected = second_pass_by_hand(hires_params(), upscaled);
  CHECK(at::equal(hires[0].latent, expected));

  // The hires prompt and sampler are the second pass's own.
  auto own = hires_params();
  own.hires_prompt = "a lighthouse in a storm";
  own.hires_sampler = "Euler";
  const auto varied = tiny_pipeline().generate(own);
  CHECK(at::equal(varied[0].latent, second_pass_by_hand(own, upscaled)));
  CHECK_FALSE(at::equal(varied[0].latent, hires[0].latent));

  // A second-order hires sampler's prompt editing counts its calls: Heun's 3 hires steps are 6
  // (5 calls, the last step's one), so halfway through the hires pass is its call 3, not 1.
  auto edited = hires_params();
  edited.hires_prompt = "a [lighthouse:castle:1.5] at dusk";
  edited.hires_sampler = "Heun";
  edited.hires_steps = 3;
  const auto heun = tiny_pipeline().generate(edited);
  CHECK(at::equal(heun[0].latent, second_pass_by_hand(edited, upscaled, 6)));
  CHECK_FALSE(at::equal(heun[0].latent, second_pass_by_hand(edited, upscaled, 3)));
}

TEST_CASE("pixel hires fix: the decoded first pass upscaled, encoded and refined", "[hires][pipeline]") {
  auto& pipeline = tiny_pipeline();
  auto by_hand = [&](const Image8& upscaled) {
    at::Tensor latent;
    {
      at::InferenceMode inference;
      latent = pipeline.encode_latent(image_to_tensor(upscaled), GenerationParams::VaeTiling::Auto);
    }
    return latent;
  };
  Image8 first;
  {
    at::InferenceMode inference;
    first = tensor_to_image(pipeline.decode(plain_first_pass().latent, GenerationParams::VaeTiling::Auto));
  }
  SECTION("Lanczos") {
    const auto result = pipeline.generate(hires_params("Lanczos"));
    const auto upscaled = Upscaler::lanczos().upscale(first, 2);
    REQUIRE(upscaled.width == 128);
    CHECK(at::equal(result[0].latent, second_pass_by_hand(hires_params("Lanczos"), by_hand(upscaled))));
  }
  SECTION("None: Lanczos to the size, no upscaler") {
    const auto result = pipeline.generate(hires_params("None"));
    CHECK(at::equal(result[0].latent, second_pass_by_hand(hires_params("None"), by_hand(resize_lanczos(first, 128, 128)))));
  }
  SECTION("an ESRGAN file: its x2 network, then the exact size") {
    const auto file = data_path("upscalers/rrdb_x2.pth");
    const auto result = pipeline.generate(hires_params(file.string()));
    const auto upscaled = Upscaler::model(file).upscale(first, 2);
    CHECK(at::equal(result[0].latent, second_pass_by_hand(hires_params(file.string()), by_hand(upscaled))));
  }
  SECTION("an upscaler by name, through the pipeline's finder") {
    pipeline.set_upscaler_finder([](ModelKind kind, std::string_view name) -> std::optional<std::filesystem::path> {
      if (kind == ModelKind::Upscaler && name == "rrdb_x2") return data_path("upscalers/rrdb_x2.pth");
      return std::nullopt;
    });
    at::InferenceMode inference;
    HiresFix named(pipeline, hires_params("rrdb_x2"));
    HiresFix by_file(pipeline, hires_params(data_path("upscalers/rrdb_x2.pth").string()));
    CHECK(at::equal(named.upscale(plain_first_pass().latent), by_file.upscale(plain_first_pass().latent)));
    CHECK_THROWS_WITH(HiresFix(pipeline, hires_params("4x-Missing")), Catch::Contains("4x-Missing"));
    pipeline.set_upscaler_finder({});
  }
}

TEST_CASE("hires fix with a resize box crops the covering latent and draws noise at the cropped size",
          "[hires][pipeline]") {
  auto params = hires_params();
  params.hires_width = 128;
  params.hires_height = 96;  // from 64x64: upscaled to 128x128, 4 latent rows cropped (2 top, 2 bottom)
  const auto result = tiny_pipeline().generate(params);
  CHECK(result[0].image.width == 128);
  CHECK(result[0].image.height == 96);
  at::Tensor cropped;
  {
    at::InferenceMode inference;
    cropped = at::upsample_bilinear2d(plain_first_pass().latent, std::vector<std::int64_t>{16, 16}, false).narrow(2, 2, 12);
  }
  GenerationParams by_hand = params;
  by_hand.hires_width = by_hand.hires_height = 0;  // the conditioning's size is the upscaled one, 128x128
  CHECK(at::equal(result[0].latent, second_pass_by_hand(by_hand, cropped)));
}

TEST_CASE("hires fix: bad settings are refused before sampling, naming the setting", "[hires][pipeline]") {
  auto check_refused = [](GenerationParams params, const std::string& message) {
    INFO(message);
    CHECK_THROWS_WITH(tiny_pipeline().generate(params), Catch::Contains(message));
  };
  auto p = hires_params();
  p.hires_scale = 0;
  check_refused(p, "hires scale");
  p = hires_params();
  p.hires_steps = -1;
  check_refused(p, "hires steps");
  p = hires_params();
  p.denoising_strength = 0;
  check_refused(p, "denoising strength");
  p = hires_params();
  p.hires_scale = 0.5;  // 32x32
  check_refused(p, "hires fix size 32x32");
  p = hires_params();
  p.hires_sampler = "Eulerish";
  check_refused(p, "Eulerish");
  p = hires_params();
  p.init_image = data_path("upscalers/picture.png");
  check_refused(p, "init image");
  p = hires_params();
  p.hires_prompt = "<lora:detail:1> a lighthouse";
  check_refused(p, "LoRA");
}

TEST_CASE("a hires-fixed image re-runs exactly from its PNG, by our JSON and by the A1111 text", "[hires][pipeline]") {
  TempDir dir;
  auto params = hires_params("Latent (bicubic antialiased)");
  params.hires_prompt = "a lighthouse, storm";
  params.hires_negative_prompt = "calm";
  params.hires_sampler = "DPM++ 2M";
  params.hires_width = 128;
  params.hires_height = 0;
  params.noise = NoiseKind::Cpu;
  const auto original = tiny_pipeline().generate(params);
  save_generated_image(dir / "hires.png", original[0]);

  const auto texts = read_png_texts(dir / "hires.png");
  const std::string& infotext = texts[0].text;
  CHECK_THAT(infotext, Catch::Contains("Size: 64x64") && Catch::Contains("Denoising strength: 0.6") &&
                           Catch::Contains("Hires sampler: DPM++ 2M, Hires prompt: \"a lighthouse, storm\", "
                                           "Hires negative prompt: calm, Hires resize: 128x0, Hires steps: 2, "
                                           "Hires upscaler: Latent (bicubic antialiased)"));

  auto rerun = [](GenerationParams p) {
    p.model = tiny_model_path();
    p.device = DeviceChoice::Cpu;
    return tiny_pipeline().generate(p);
  };
  // Our JSON is lossless; the A1111 text must give the same image too.
  const auto from_json = read_image_metadata(dir / "hires.png").params;
  CHECK(from_json.hires_fix);
  CHECK(from_json.hires_prompt == params.hires_prompt);
  CHECK(from_json.hires_negative_prompt == params.hires_negative_prompt);
  CHECK(from_json.hires_sampler == params.hires_sampler);
  CHECK(from_json.hires_upscaler == params.hires_upscaler);
  CHECK(from_json.hires_width == params.hires_width);
  CHECK(from_json.hires_steps == params.hires_steps);
  CHECK(from_json.denoising_strength == params.denoising_strength);
  const auto a1111 = metadata_from_a1111(parse_a1111_parameters(infotext), "a1111");
  CHECK(a1111.unmapped.empty());
  const auto from_text = rerun(a1111.params);
  CHECK(from_text[0].image.rgb == original[0].image.rgb);
}

TEST_CASE("the pixel path decodes with the VAE: a nearest upscale of the first pass", "[hires][pipeline]") {
  // Nearest x2 of the decoded first pass, encoded, is what the second pass starts from.
  const auto& plain = plain_first_pass();
  auto& pipeline = tiny_pipeline();
  at::InferenceMode inference;
  HiresFix hires(pipeline, hires_params("Nearest"));
  const auto upscaled = hires.upscale(plain.latent);
  const Image8 first = tensor_to_image(pipeline.decode(plain.latent, GenerationParams::VaeTiling::Auto));
  const auto expected = pipeline.encode_latent(image_to_tensor(resize_nearest(first, 128, 128)),
                                               GenerationParams::VaeTiling::Auto);
  CHECK(at::equal(upscaled, expected));
  CHECK(max_channel_difference(resize_nearest(first, 128, 128), Upscaler::nearest().upscale(first, 2)) == 0);
}
