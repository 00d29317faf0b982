// Model hashes computed once and remembered while the file is unchanged.
#include "core/gallery/model_hash_cache.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/io/sha256.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;

TEST_CASE("model hashes are cached by path, size and time", "[model_hash]") {
  TempDir dir;
  std::ofstream(dir / "model.safetensors") << "pretend weights";
  const std::string expected = autov2_hash(dir / "model.safetensors");
  {
    ModelHashCache cache(dir / "hashes.json");
    CHECK(cache.autov2(dir / "model.safetensors") == expected);
  }
  // A new cache reads the remembered hash: prove it by planting a different one for the same stat.
  {
    std::ifstream in(dir / "hashes.json");
    auto entries = nlohmann::json::parse(in);
    entries.begin().value()["hash"] = "remembered";
    std::ofstream(dir / "hashes.json") << entries.dump();
  }
  ModelHashCache cache(dir / "hashes.json");
  CHECK(cache.autov2(dir / "model.safetensors") == "remembered");
  // A changed file is hashed again.
  std::ofstream(dir / "model.safetensors") << "other weights, longer";
  CHECK(cache.autov2(dir / "model.safetensors") == autov2_hash(dir / "model.safetensors"));

  std::ofstream(dir / "damaged.json") << "{not json";
  CHECK(ModelHashCache(dir / "damaged.json").autov2(dir / "model.safetensors") == autov2_hash(dir / "model.safetensors"));
}
