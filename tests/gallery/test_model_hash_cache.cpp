// Model hashes computed once and remembered while the file is unchanged.
#include "core/gallery/model_hash_cache.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/io/model_hashes.h"
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

TEST_CASE("the cache remembers the full SHA-256, the addnet and the old model hash", "[model_hash]") {
  TempDir dir;
  std::ofstream(dir / "net.safetensors", std::ios::binary) << std::string("\x02\0\0\0\0\0\0\0{}data", 14);
  const ModelHashes expected = hash_model_file(dir / "net.safetensors");
  {
    ModelHashCache cache(dir / "hashes.json");
    CHECK_FALSE(cache.cached(dir / "net.safetensors"));
    CHECK(cache.hashes(dir / "net.safetensors") == expected);
    CHECK(cache.cached(dir / "net.safetensors") == expected);
    CHECK(cache.autov2(dir / "net.safetensors") == expected.autov2());
  }
  // A new cache answers from the file: plant other values for the same stat.
  {
    std::ifstream in(dir / "hashes.json");
    auto entries = nlohmann::json::parse(in);
    auto& entry = entries.begin().value();
    entry["sha256"] = "planted-sha";
    entry["addnet"] = "planted-addnet";
    entry["model_hash"] = "planted-old";
    std::ofstream(dir / "hashes.json") << entries.dump();
  }
  ModelHashCache cache(dir / "hashes.json");
  CHECK(cache.hashes(dir / "net.safetensors") == ModelHashes{"planted-sha", "planted-addnet", "planted-old"});

  // An entry written before the cache knew full hashes (AutoV2 only) is kept for autov2() and
  // completed by hashes().
  std::ofstream(dir / "old.ckpt") << "pickled weights";
  const auto stat_of = [&](const std::filesystem::path& file) {
    return nlohmann::json{{"size", std::filesystem::file_size(file)},
                          {"mtime", std::filesystem::last_write_time(file).time_since_epoch().count()},
                          {"hash", "old-autov2"}};
  };
  std::ofstream(dir / "old.json") << nlohmann::json{{std::filesystem::absolute(dir / "old.ckpt").string(), stat_of(dir / "old.ckpt")}}.dump();
  ModelHashCache old(dir / "old.json");
  CHECK(old.autov2(dir / "old.ckpt") == "old-autov2");
  CHECK_FALSE(old.cached(dir / "old.ckpt"));
  CHECK(old.hashes(dir / "old.ckpt") == hash_model_file(dir / "old.ckpt"));
  CHECK(old.autov2(dir / "old.ckpt") == autov2_hash(dir / "old.ckpt"));
  CHECK_THROWS_AS(old.hashes(dir / "absent.safetensors"), Error);
}
