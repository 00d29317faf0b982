// TAESD's decoder against the reference architecture's output (tests/data/taesd/make_reference.py:
// a random decoder of madebyollin/taesd's layout, 8 channels wide), read from both file forms.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/models/model_source.h"
#include "core/models/taesd_decoder.h"
#include "support/fixtures.h"

using namespace atelier;
using namespace atelier::test;

namespace {

std::filesystem::path taesd_data(const std::string& name) {
  return std::filesystem::path(ATELIER_TEST_DATA_DIR) / "taesd" / name;
}

// The fixture's tensors renamed by `rename` (an empty name drops the tensor).
InMemoryTensors renamed_fixture(const std::function<std::string(const std::string&)>& rename) {
  const SafetensorsFile file(taesd_data("taesd_decoder.safetensors"));
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& entry : file.entries())
    if (auto name = rename(entry.name); !name.empty()) tensors.emplace_back(name, file.tensor(entry.name).clone());
  return InMemoryTensors(file.path(), std::move(tensors));
}

}  // namespace

TEST_CASE("TAESD decoder matches the reference network, from .safetensors and .pth", "[models][taesd]") {
  at::InferenceMode inference;
  const SafetensorsFile reference(taesd_data("reference.safetensors"));
  const auto latent = reference.tensor("latent", at::kFloat), expected = reference.tensor("image", at::kFloat);
  for (const auto* name : {"taesd_decoder.safetensors", "taesd_decoder.pth"}) {
    INFO(name);
    const TaesdDecoder decoder(*open_weights_file(taesd_data(name)));
    CHECK(decoder.latent_channels() == 4);
    const auto image = decoder.decode(latent);
    REQUIRE(image.sizes() == expected.sizes());  // 8× the latent: [1, 3, 48, 64]
    CHECK(relative_error(image, expected) < 1e-5);
  }
}

TEST_CASE("TAESD decoder reads a decoder. prefix and names what a file lacks", "[models][taesd]") {
  at::InferenceMode inference;
  const SafetensorsFile reference(taesd_data("reference.safetensors"));
  const TaesdDecoder prefixed(renamed_fixture([](const std::string& name) { return "decoder." + name; }));
  CHECK(relative_error(prefixed.decode(reference.tensor("latent", at::kFloat)), reference.tensor("image", at::kFloat)) <
        1e-5);

  const auto without = [](const std::string& lost) {
    return renamed_fixture([lost](const std::string& name) { return name == lost ? std::string() : name; });
  };
  CHECK_THROWS_AS(TaesdDecoder(without("13.conv.2.bias")), FormatError);
  CHECK_THROWS_WITH(TaesdDecoder(without("13.conv.2.bias")), Catch::Contains("taesd_decoder.safetensors") &&
                                                                 Catch::Contains("13.conv.2.bias") &&
                                                                 Catch::Contains("missing"));
  CHECK_THROWS_WITH(TaesdDecoder(renamed_fixture([](const std::string& name) { return "model." + name; })),
                    Catch::Contains("not a TAESD decoder"));
}
