#pragma once
// The family fixtures and their pipelines, each loaded once per test executable.
#include "core/pipeline/pipeline.h"
#include "support/fixtures.h"
#include "support/parity.h"
#include "support/reference_fixture.h"

namespace atelier::test {

// The tolerance of a network's output against the reference's (fp32, random tiny weights).
constexpr double kNetworkTolerance = 1e-4;

inline const ReferenceFixture& sd2_fixture() {
  static const ReferenceFixture fixture("sd2-tiny");
  return fixture;
}

inline const ReferenceFixture& inpaint_fixture() {
  static const ReferenceFixture fixture("inpaint-tiny");
  return fixture;
}

inline const ReferenceFixture& sdxl_fixture() {
  static const ReferenceFixture fixture("sdxl-tiny");
  return fixture;
}

// The pipeline of `file` in `fixture`, kept for the whole run.
inline Pipeline& fixture_pipeline(const ReferenceFixture& fixture, const std::string& file) {
  static std::map<std::filesystem::path, std::unique_ptr<Pipeline>> pipelines;
  auto& pipeline = pipelines[fixture.path(file)];
  if (!pipeline) pipeline = std::make_unique<Pipeline>(fixture.path(file), test_device(), MemoryMode::Standard, test_precision());
  return *pipeline;
}

// The whole-run tolerances of the fixtures' READMEs: latents within 1e-3 of the largest
// reference value, 8-bit pixels ±1 on 99.9 %.
inline void check_generation(const GeneratedImage& result, const ReferenceFixture& fixture,
                             const std::string& latent_key, const std::string& image_key) {
  CHECK(relative_error(result.latent, fixture(latent_key)) < 1e-3);
  CHECK(fraction_within_one_level(result.image, fixture.raw(image_key)) >= 0.999);
}

// A UNet case's output and its named intermediates ("t_emb", "input_blocks.3", ...).
inline void check_unet_case(UNetImpl& unet, const ReferenceFixture& fixture, const nlohmann::json& c,
                            const std::string& output_key, const at::Tensor& y = {}) {
  std::map<std::string, at::Tensor> features;
  const auto output = unet.forward(fixture(c["x"]), fixture(c["timesteps"]), fixture(c["context"]), y,
                                   [&](const std::string& name, const at::Tensor& value) { features[name] = value; });
  CHECK(relative_error(output, fixture(c[output_key])) < 1e-4);
  std::map<std::string, std::string> named{{"t_emb", c["t_emb"]}, {"time_embed", c["time_embed"]}};
  if (c.contains("label_emb")) named["label_emb"] = c["label_emb"];
  if (c.contains("block_outputs"))
    for (const auto& [name, key] : c["block_outputs"].items()) named[name] = key;
  for (const auto& [name, key] : named) {
    INFO(name);
    REQUIRE(features.count(name));
    CHECK(relative_error(features.at(name), fixture(key)) < 1e-4);
  }
}

}  // namespace atelier::test
