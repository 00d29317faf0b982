// Pipeline behaviour beyond parity: seeds, batches, progress, cancellation, bad input, tiling.
#include <ATen/CPUGeneratorImpl.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "core/pipeline/pipeline.h"
#include "core/pipeline/vae_tiling.h"
#include "pipeline/tiny_pipeline.h"
#include "support/fixtures.h"
#include "support/parity.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

GenerationParams small_params() {
  GenerationParams params;
  params.model = tiny_model_path();
  params.prompt = "a red cube on a blue table";
  params.negative_prompt = "blurry";
  params.sampler = "Euler a";
  params.steps = 4;
  params.seed = 1234;
  params.width = params.height = 64;
  params.device = DeviceChoice::Cpu;
  return params;
}

}  // namespace

TEST_CASE("the same seed twice gives bit-identical pixels", "[pipeline]") {
  auto a = tiny_pipeline().generate(small_params());
  auto b = tiny_pipeline().generate(small_params());
  CHECK(a[0].image.rgb == b[0].image.rgb);
}

TEST_CASE("a batch of 2 from seed S equals single runs with S and S+1", "[pipeline]") {
  auto params = small_params();
  params.batch_size = 2;
  auto batch = tiny_pipeline().generate(params);
  REQUIRE(batch.size() == 2);
  CHECK(batch[1].params.seed == 1235);
  for (int i = 0; i < 2; ++i) {
    auto single_params = small_params();
    single_params.seed = 1234 + i;
    auto single = tiny_pipeline().generate(single_params);
    CHECK(relative_error(batch[i].latent, single[0].latent) < 1e-5);
    // oneDNN's convolutions round differently by batch size (~2e-6 in the decoded image).
    CHECK(max_channel_difference(batch[i].image, single[0].image) <= 1);
  }
}

TEST_CASE("batch count runs batches with consecutive seeds; random seeds are recorded", "[pipeline]") {
  auto params = small_params();
  params.batch_count = 2;
  params.seed = -1;
  auto results = tiny_pipeline().generate(params);
  REQUIRE(results.size() == 2);
  CHECK(results[0].params.seed >= 0);
  CHECK(results[1].params.seed == results[0].params.seed + 1);
}

TEST_CASE("variation seeds: strength 0 is the seed's image, 1 the variation seed's; a batch keeps its seed",
          "[pipeline][variation]") {
  auto params = small_params();
  params.sampler = "Euler";  // later draws would come from the seed's stream: none here
  params.variation_seed = 77;
  const auto plain = tiny_pipeline().generate(params);
  CHECK(plain[0].params.variation_strength == 0);

  auto towards = params;
  towards.variation_strength = 1;
  auto of_variation_seed = params;
  of_variation_seed.seed = 77;
  CHECK(at::equal(tiny_pipeline().generate(towards)[0].latent, tiny_pipeline().generate(of_variation_seed)[0].latent));

  auto halfway = params;
  halfway.variation_strength = 0.5;
  halfway.batch_size = 2;
  const auto batch = tiny_pipeline().generate(halfway);
  REQUIRE(batch.size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(batch[i].params.seed == 1234);
    CHECK(batch[i].params.variation_seed == 77 + i);
  }
  CHECK(relative_error(batch[0].latent, plain[0].latent) > 1e-2);
  CHECK(relative_error(batch[0].latent, batch[1].latent) > 1e-2);

  auto resized = params;
  resized.seed_resize_from_width = resized.seed_resize_from_height = 64;  // the size itself: no change
  CHECK(at::equal(tiny_pipeline().generate(resized)[0].latent, plain[0].latent));
  resized.seed_resize_from_width = 32;
  CHECK_FALSE(at::equal(tiny_pipeline().generate(resized)[0].latent, plain[0].latent));
}

TEST_CASE("at CFG 1 the unconditional half is skipped, giving the full batch's image", "[pipeline][cfg]") {
  auto params = small_params();
  params.cfg_scale = 1;
  const auto skipped = tiny_pipeline().generate(params);
  // The smallest scale above 1 runs both halves and weighs the difference by 1 + 2^-52.
  params.cfg_scale = std::nextafter(1.0, 2.0);
  const auto full = tiny_pipeline().generate(params);
  CHECK(relative_error(skipped[0].latent, full[0].latent) < 1e-5);
  CHECK(max_channel_difference(skipped[0].image, full[0].image) <= 1);
  params.cfg_scale = 1.5;
  CHECK(relative_error(tiny_pipeline().generate(params)[0].latent, skipped[0].latent) > 1e-3);
}

TEST_CASE("progress is reported every step with a preview", "[pipeline]") {
  std::vector<int> steps;
  auto results = tiny_pipeline().generate(small_params(), [&](const GenerationProgress& p) {
    steps.push_back(p.step);
    CHECK(p.steps == 4);
    const auto preview = p.preview();
    CHECK(preview.width == 8);
    CHECK(preview.rgb.size() == 8 * 8 * 3);
  });
  CHECK(steps == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("a TAESD decoder in the preview folders gives full-size previews", "[pipeline][taesd]") {
  // A pipeline of its own: the shared one keeps no preview folders.
  Pipeline pipeline(tiny_model_path(), DeviceChoice::Cpu);
  const auto taesd = std::filesystem::path(ATELIER_TEST_DATA_DIR) / "taesd";
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(AddonFolderLists{{}, {}, {}, {taesd}}));
  std::vector<Image8> previews;
  pipeline.generate(small_params(), [&](const GenerationProgress& p) { previews.push_back(p.preview()); });
  REQUIRE(previews.size() == 4);
  for (const auto& preview : previews) {
    CHECK(preview.width == 64);
    CHECK(preview.height == 64);
  }
  CHECK(previews.front().rgb != previews.back().rgb);  // it follows the sampling

  // A file under the decoder's name that is not one is named, not skipped.
  TempDir broken;
  std::filesystem::copy_file(tiny_model_path(), broken / "taesd_decoder.safetensors");
  pipeline.set_addon_folders(std::make_shared<const AddonFolders>(AddonFolderLists{{}, {}, {}, {broken.path()}}));
  CHECK_THROWS_WITH(pipeline.generate(small_params(), [](const GenerationProgress&) {}),
                    Catch::Contains("taesd_decoder.safetensors") && Catch::Contains("not a TAESD decoder"));
}

TEST_CASE("cancelling mid-run throws Cancelled", "[pipeline]") {
  std::atomic<bool> cancel{false};
  int calls = 0;
  auto on_progress = [&](const GenerationProgress& p) {
    ++calls;
    if (p.step == 2) cancel = true;
  };
  CHECK_THROWS_AS(tiny_pipeline().generate(small_params(), on_progress, &cancel), Cancelled);
  CHECK(calls == 2);
}

TEST_CASE("bad parameters are refused with a clear message", "[pipeline]") {
  auto params = small_params();
  params.width = 100;
  CHECK_THROWS_WITH(tiny_pipeline().generate(params), Catch::Contains("multiple of 8"));
  params = small_params();
  params.sampler = "Eulerish";
  CHECK_THROWS_AS(tiny_pipeline().generate(params), InvalidArgument);
  params = small_params();
  params.init_image = data_path("sd1-tiny/README.md");
  CHECK_THROWS_AS(tiny_pipeline().generate(params), FormatError);
}

TEST_CASE("tiled VAE decode matches untiled closely at 256x256", "[pipeline][tiling]") {
  at::InferenceMode inference;
  auto vae = tiny_pipeline().model().vae;
  auto latent = at::randn({1, 4, 32, 32}, at::make_generator<at::CPUGeneratorImpl>(3));
  auto whole = vae->decode(latent);
  auto tiled = decode_tiled(vae, latent, {24, 8});  // 2x2 tiles
  // GroupNorm statistics and the mid-block attention are per tile, so tiles differ from the
  // whole; on this random-weight VAE that shows as a mean error of about 0.04 on [-1, 1].
  const double max_error = relative_error(tiled, whole);
  const double mean_error = (tiled - whole).abs().mean().item<double>();
  WARN("tiled vs whole at 256x256: max relative " << max_error << ", mean absolute " << mean_error);
  CHECK(max_error < 0.15);
  CHECK(mean_error < 0.05);
}

TEST_CASE("tiled VAE decode keeps peak memory bounded as the image grows", "[pipeline][tiling]") {
  at::InferenceMode inference;
  auto vae = tiny_pipeline().model().vae;
  auto peak_mb = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
  };
  // 2048x2048: untiled, each 32-channel activation alone would take 512 MB.
  auto latent = at::randn({1, 4, 256, 256}, at::make_generator<at::CPUGeneratorImpl>(5));
  const double before = peak_mb();
  auto image = decode_tiled(vae, latent);
  const double growth = peak_mb() - before;
  WARN("peak RSS growth for a tiled 2048x2048 decode: " << growth << " MB");
  CHECK(image.size(2) == 2048);
  CHECK(growth < 400);
}

TEST_CASE("the fp16 checkpoint gives the same image as the fp32 one", "[pipeline]") {
  auto params = small_params();
  auto from_fp32 = tiny_pipeline().generate(params);
  params.model = tiny_fp16_model_path();
  Pipeline half(tiny_fp16_model_path(), DeviceChoice::Cpu);
  CHECK(half.generate(params)[0].image.rgb == from_fp32[0].image.rgb);
  // Streamed weights are converted stage by stage instead of viewed in place.
  Pipeline streamed_half(tiny_fp16_model_path(), DeviceChoice::Cpu, MemoryMode::Low);
  CHECK(max_channel_difference(streamed_half.generate(params)[0].image, from_fp32[0].image) <= 1);
}

TEST_CASE("low memory gives the standard image and holds no weights between uses", "[pipeline][memory]") {
  auto params = small_params();
  params.batch_size = 2;
  auto standard = tiny_pipeline().generate(params);
  auto low = tiny_low_memory_pipeline().generate(params);
  for (int i = 0; i < 2; ++i) {
    CHECK(relative_error(low[i].latent, standard[i].latent) < 1e-5);
    CHECK(max_channel_difference(low[i].image, standard[i].image) <= 1);
  }
  const auto& model = tiny_low_memory_pipeline().model();
  for (const torch::nn::Module* network :
       std::initializer_list<const torch::nn::Module*>{model.text_encoders.at(0).network.get(), model.unet.get(),
                                                       model.vae.get()}) {
    for (const auto& weights : network->named_parameters()) {
      INFO(weights.key());
      CHECK(weights.value().numel() == 0);
    }
  }
}

TEST_CASE("a mask on a normal model repaints only where it is white", "[pipeline][inpaint]") {
  TempDir dir;
  // An init image of noise; a mask whose right half is white (repaint), left half black (keep).
  auto init = at::randint(0, 256, {64, 64, 3}, at::kByte);
  auto mask = at::zeros({64, 64, 3}, at::kByte);
  mask.narrow(1, 32, 32).fill_(255);
  write_reference_png(dir / "init.png", init);
  write_reference_png(dir / "mask.png", mask);
  auto params = small_params();
  params.sampler = "Euler";
  params.init_image = dir / "init.png";
  params.mask = dir / "mask.png";
  params.mask_blur = 0;
  params.denoising_strength = 0.9;
  const auto inpainted = tiny_pipeline().generate(params)[0];
  params.mask.reset();
  const auto whole = tiny_pipeline().generate(params)[0];

  auto pixels = [](const Image8& image) {
    return at::from_blob(const_cast<uint8_t*>(image.rgb.data()), {64, 64, 3}, at::kByte).clone();
  };
  // The kept half is the original, pixel for pixel; the repainted half is what img2img makes.
  CHECK(at::equal(pixels(inpainted.image).narrow(1, 0, 32), init.narrow(1, 0, 32)));
  CHECK(!at::equal(pixels(inpainted.image).narrow(1, 32, 32), init.narrow(1, 32, 32)));
  CHECK(!at::equal(pixels(inpainted.image), pixels(whole.image)));
  // The latent keeps the init image's latent in the kept cells.
  at::InferenceMode inference;
  const auto init_latent = tiny_pipeline().encode_latent(image_to_tensor(load_image(dir / "init.png")),
                                                         GenerationParams::VaeTiling::Off);
  CHECK(relative_error(inpainted.latent.narrow(3, 0, 3), init_latent.narrow(3, 0, 3)) < 1e-6);
}

TEST_CASE("a mask without an init image is refused", "[pipeline][inpaint]") {
  auto params = small_params();
  params.mask = "mask.png";
  CHECK_THROWS_WITH(tiny_pipeline().generate(params), Catch::Contains("init image"));
}

TEST_CASE("prompt editing switches the conditioning at A1111's step", "[pipeline][prompt-editing]") {
  at::InferenceMode inference;
  auto& pipeline = tiny_pipeline();
  auto params = small_params();
  params.steps = 4;
  auto guided = [&](const std::string& prompt) {
    params.prompt = prompt;
    return pipeline.guided_eps(pipeline.encode_prompts(params), 7.0);
  };
  const auto x = at::randn({1, 4, 8, 8});
  const auto t = at::full({1}, 500, at::kLong);
  // [cat:dog:2] over 4 steps: "cat" up to A1111's step 2 (its counter starts at 0), then "dog".
  auto edited = guided("a [cat:dog:2] on a sofa");
  const auto cat = guided("a cat on a sofa")(x, t);
  const auto dog = guided("a dog on a sofa")(x, t);
  REQUIRE_FALSE(at::allclose(cat, dog));
  for (int step = 0; step < 4; ++step) {
    INFO("step " << step);
    CHECK(at::allclose(edited(x, t), step <= 2 ? cat : dog, 1e-5, 1e-6));
  }
  // Alternation ends its stretches at steps 1, 2, 3, 4 counted from 1, which A1111's counter
  // from 0 reads as cat, cat, dog, cat.
  auto alternating = guided("a [cat|dog] on a sofa");
  for (bool is_cat : {true, true, false, true}) CHECK(at::allclose(alternating(x, t), is_cat ? cat : dog, 1e-5, 1e-6));
}

TEST_CASE("a second-order sampler's prompt editing counts its two calls a step, as A1111's", "[pipeline][prompt-editing]") {
  at::InferenceMode inference;
  auto& pipeline = tiny_pipeline();
  auto params = small_params();
  params.steps = 4;
  auto guided = [&](const std::string& sampler, const std::string& prompt) {
    params.sampler = sampler;
    params.prompt = prompt;
    return pipeline.guided_eps(pipeline.encode_prompts(params), 7.0);
  };
  const auto x = at::randn({1, 4, 8, 8});
  const auto t = at::full({1}, 500, at::kLong);
  const auto cat = guided("Euler", "a cat on a sofa")(x, t);
  const auto dog = guided("Euler", "a dog on a sofa")(x, t);
  // Heun's 4 steps are 8 of A1111's steps: halfway is its step 4, and a step number counts calls.
  for (const std::string sampler : {"Heun", "DPM++ 2S a", "DPM++ SDE", "DPM2", "DPM2 a", "Restart"}) {
    INFO(sampler);
    for (const std::string prompt : {"a [cat:dog:0.5] on a sofa", "a [cat:dog:4] on a sofa"}) {
      INFO(prompt);
      auto edited = guided(sampler, prompt);
      for (int call = 0; call < 8; ++call) CHECK(at::allclose(edited(x, t), call <= 4 ? cat : dog, 1e-5, 1e-6));
    }
  }
  // A first-order sampler's halfway is its step 2.
  auto euler = guided("DPM++ 2M", "a [cat:dog:0.5] on a sofa");
  for (int call = 0; call < 4; ++call) CHECK(at::allclose(euler(x, t), call <= 2 ? cat : dog, 1e-5, 1e-6));
}

TEST_CASE("any multiple of 8 generates, as A1111 allows", "[pipeline]") {
  auto params = small_params();
  params.steps = 2;
  for (auto [width, height] : {std::pair{200, 192}, std::pair{72, 120}}) {
    INFO(width << "x" << height);
    params.width = width;
    params.height = height;
    const auto results = tiny_pipeline().generate(params);
    REQUIRE(results.size() == 1);
    CHECK(results[0].image.width == width);
    CHECK(results[0].image.height == height);
  }
}
