// The model library over the reference fixtures: A1111's hashes of every file of sd1-tiny-formats
// (its README, section 5), and the names, aliases, kinds and hashes of the sd1-tiny-networks files.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/model_hashes.h"
#include "core/library/model_library.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = ATELIER_FIXTURES_DIR;

nlohmann::json reference_json(const std::string& fixture) {
  return nlohmann::json::parse(std::ifstream(kFixtures / fixture / "reference.json"));
}

// A table row's file: relative to the fixture, or "shared/fixtures/<set>/<file> (note)" for the base model.
fs::path row_file(const std::string& key) {
  const std::string shared = "shared/fixtures/";
  if (!key.starts_with(shared)) return kFixtures / "sd1-tiny-formats" / key;
  return kFixtures / key.substr(shared.size(), key.find(" (") - shared.size());
}

void link(const fs::path& target, const fs::path& link) {
  fs::create_directories(link.parent_path());
  fs::create_directory_symlink(target, link);
}

}  // namespace

TEST_CASE("every hash of the fixture table is A1111's", "[library][fixtures]") {
  const auto hashes = reference_json("sd1-tiny-formats")["hashes"];
  REQUIRE(hashes.size() >= 28);
  int addnet_rows = 0;
  for (const auto& [key, row] : hashes.items()) {
    INFO(key);
    const fs::path file = row_file(key);
    REQUIRE(fs::is_regular_file(file));
    if (row.contains("bytes")) CHECK(fs::file_size(file) == row["bytes"].get<std::uintmax_t>());
    const ModelHashes computed = hash_model_file(file);
    CHECK(computed.sha256 == row["sha256"].get<std::string>());
    CHECK(computed.autov2() == row["autov2"].get<std::string>());
    CHECK(computed.model_hash == row["model_hash"].get<std::string>());
    CHECK(a1111_model_hash(file) == row["model_hash"].get<std::string>());
    if (row.contains("addnet_hash_safetensors")) {
      ++addnet_rows;
      CHECK(computed.addnet == row["addnet_hash_safetensors"].get<std::string>());
      CHECK(computed.addnet_short() == row["addnet_shorthash"].get<std::string>());
    } else {
      CHECK(computed.addnet.empty());
    }
  }
  CHECK(addnet_rows == 9);
}

TEST_CASE("an A1111 folder of the fixture networks: names, aliases, kinds, families, hashes", "[library][fixtures]") {
  TempDir dir;
  const fs::path root = dir / "webui";
  const fs::path networks = kFixtures / "sd1-tiny-networks";
  link(networks / "lora", root / "models/Lora");
  link(networks / "embeddings", root / "embeddings");
  fs::create_directories(root / "models/Stable-diffusion");
  fs::create_symlink(kFixtures / "sd1-tiny/model.safetensors", root / "models/Stable-diffusion/model.safetensors");
  link(kFixtures / "sd1-tiny-formats/diffusers", root / "models/Stable-diffusion/tiny-diffusers");
  for (const char* pickle : {"model.ckpt", "model-legacy.ckpt"})
    fs::create_symlink(kFixtures / "sd1-tiny-formats/ckpt" / pickle, root / "models/Stable-diffusion" / ("old-" + std::string(pickle)));

  ModelLibrary library({root}, dir / "hashes.json");
  library.scan();
  REQUIRE(library.roots().size() == 1);
  CHECK(library.roots()[0].layout == RootLayout::A1111);

  const auto reference = reference_json("sd1-tiny-networks");
  for (const auto& network : reference["networks"]) {
    const std::string name = network["name"], alias = network["alias"];
    INFO(name);
    const auto by_name = library.find(ModelKind::Lora, name);
    REQUIRE(by_name);
    CHECK(by_name->path == root / "models/Lora" / fs::path(network["file"].get<std::string>()).filename());
    const auto by_alias = library.find(ModelKind::Lora, alias);
    REQUIRE(by_alias);
    CHECK(by_alias->path == by_name->path);
    CHECK(by_name->alias == (network["metadata"].contains("ss_output_name") ? alias : ""));
    bool lycoris = false;
    for (const auto& module : network["modules"]) lycoris |= module["type"] == "hada" || module["type"] == "lokr";
    CHECK(by_name->kind == (lycoris ? ModelKind::Lycoris : ModelKind::Lora));
    const bool sd1 = network["metadata"].value("ss_base_model_version", "") == "sd_v1";
    CHECK(by_name->family == (sd1 ? ModelFamily::SD1 : ModelFamily::Unknown));

    const std::string sha256 = network["sha256"];
    CHECK(library.hashes(*by_name).sha256 == sha256);
    const auto by_hash = library.find_by_hash(ModelKind::Lora, sha256.substr(0, 10));
    REQUIRE(by_hash);
    CHECK(by_hash->path == by_name->path);
  }
  CHECK_FALSE(library.find(ModelKind::Lora, "TinyCompvis"));  // case-sensitive, as A1111

  for (const auto& embedding : reference["embeddings"]) {
    const auto found = library.find(ModelKind::Embedding, embedding["name"].get<std::string>());
    REQUIRE(found);
    CHECK(library.hashes(*found).sha256 == embedding["sha256"].get<std::string>());
  }

  // The base model by each of A1111's hashes (README table row "shared/fixtures/sd1-tiny/model.safetensors").
  const auto checkpoint = library.find(ModelKind::Checkpoint, "model");
  REQUIRE(checkpoint);
  CHECK(checkpoint->family == ModelFamily::SD1);
  for (const char* hash : {"3ed111aa", "ecc8770c46", "ECC8770C46",
                           "ecc8770c462095e000915e8ad9adb99b96ba6cd25e7a67504026bf608ca80c0e"}) {
    INFO(hash);
    const auto found = library.find_by_hash(ModelKind::Checkpoint, hash);
    REQUIRE(found);
    CHECK(found->path == checkpoint->path);
  }
  const auto diffusers = library.find(ModelKind::Checkpoint, "tiny-diffusers");
  REQUIRE(diffusers);
  CHECK(diffusers->diffusers_folder);
  CHECK(diffusers->family == ModelFamily::SD1);
  CHECK(diffusers->problem.empty());
  // Pickled checkpoints are read (never run) for their family, in the zip and the legacy form.
  for (const char* pickle : {"old-model", "old-model-legacy"}) {
    INFO(pickle);
    const auto found = library.find(ModelKind::Checkpoint, pickle);
    REQUIRE(found);
    CHECK(found->family == ModelFamily::SD1);
    CHECK(found->problem.empty());
  }
  // The diffusers folder's own safetensors files are parts of it, not checkpoints.
  CHECK(library.entries(ModelKind::Checkpoint).size() == 4);
}
