// The size a new generation starts from, per family, as A1111 users expect it.
#include "core/library/family_sizes.h"

#include <catch2/catch.hpp>

#include "core/io/safetensors.h"
#include "support/fixtures.h"

using namespace atelier;

namespace {

CheckpointInfo checkpoint(ModelFamily family, Prediction prediction = Prediction::Epsilon, bool from_config = true) {
  CheckpointInfo info;
  info.family = family;
  info.prediction = prediction;
  info.prediction_from_config = from_config;
  return info;
}

}  // namespace

TEST_CASE("the default size follows the family", "[family_sizes]") {
  CHECK(default_size(checkpoint(ModelFamily::SD1)) == ImageSize{512, 512});
  CHECK(default_size(checkpoint(ModelFamily::SD2, Prediction::V)) == ImageSize{768, 768});
  CHECK(default_size(checkpoint(ModelFamily::SD2, Prediction::Epsilon)) == ImageSize{512, 512});
  CHECK(default_size(checkpoint(ModelFamily::SDXLBase)) == ImageSize{1024, 1024});
  CHECK(default_size(checkpoint(ModelFamily::SDXLRefiner)) == ImageSize{1024, 1024});
  CHECK(default_size(checkpoint(ModelFamily::Unknown)) == ImageSize{512, 512});
}

TEST_CASE("an SD2 file whose prediction is told only when loaded starts at 512", "[family_sizes]") {
  CHECK(default_size(checkpoint(ModelFamily::SD2, Prediction::Epsilon, false)) == ImageSize{512, 512});
}

TEST_CASE("the tiny SD1 model starts at 512", "[family_sizes]") {
  CHECK(default_size(inspect_checkpoint(SafetensorsFile(test::tiny_model_path()))) == ImageSize{512, 512});
}
