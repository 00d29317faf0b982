// atelier-cli models list, and generate --model NAME|HASH through the model library.
#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "core/io/safetensors.h"
#include "core/io/sha256.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::TempDir;
using atelier::test::tiny_model_path;
namespace fs = std::filesystem;

namespace {

// An A1111 install: the tiny checkpoint, a LoRA with an alias, a diffusers folder.
fs::path make_webui(const fs::path& root) {
  fs::create_directories(root / "models/Stable-diffusion/diffusers-model");
  fs::create_symlink(tiny_model_path(), root / "models/Stable-diffusion/tiny.safetensors");
  std::ofstream(root / "models/Stable-diffusion/diffusers-model/model_index.json")
      << R"({"_class_name": "StableDiffusionPipeline"})";
  fs::create_directories(root / "models/Lora");
  write_safetensors(root / "models/Lora/ink.safetensors",
                    {{"lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", at::ones({2, 768})},
                     {"lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", at::ones({768, 2})}},
                    {{"ss_output_name", "inkstyle"}, {"ss_base_model_version", "sd_v1"}});
  return root;
}

nlohmann::json listed(const std::vector<std::string>& args, const fs::path& dir) {
  auto result = run_cli(args, dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

const nlohmann::json& entry_named(const nlohmann::json& list, const std::string& kind, const std::string& name) {
  for (const auto& entry : list)
    if (entry["kind"] == kind && entry["name"] == name) return entry;
  FAIL("no " << kind << " " << name << " in " << list.dump());
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("models list --json prints the library's entries with their hashes", "[cli][library]") {
  Home home;
  const fs::path webui = make_webui(home.dir / "webui");
  const auto list = listed({"models", "list", "--library", webui.string(), "--json"}, home.dir.path());
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 3);
  for (const auto& entry : list) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : entry.items()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"autov2", "family", "kind", "name", "path", "sha256"});
  }
  const auto& tiny = entry_named(list, "checkpoint", "tiny");
  CHECK(tiny["path"] == (webui / "models/Stable-diffusion/tiny.safetensors").string());
  CHECK(tiny["family"] == "SD1.x");
  const std::string sha256 = sha256_file(tiny_model_path());
  CHECK(tiny["sha256"] == sha256);
  CHECK(tiny["autov2"] == sha256.substr(0, 10));
  const auto& ink = entry_named(list, "lora", "ink");
  CHECK(ink["family"] == "SD1.x");
  CHECK(ink["sha256"] == sha256_file(webui / "models/Lora/ink.safetensors"));
  const auto& diffusers = entry_named(list, "checkpoint", "diffusers-model");
  CHECK(diffusers["sha256"].is_null());
  CHECK(diffusers["autov2"].is_null());

  SECTION("--no-hash prints the remembered hashes only; --kind filters") {
    const auto again = listed({"models", "list", "--library", webui.string(), "--json", "--no-hash"}, home.dir.path());
    CHECK(entry_named(again, "lora", "ink")["sha256"] == ink["sha256"]);  // remembered by the first listing
    fs::remove(home.dir / "cache/atelier/model-hashes.json");
    const auto fresh = listed({"models", "list", "--library", webui.string(), "--json", "--no-hash", "--kind", "lora"},
                              home.dir.path());
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0]["name"] == "ink");
    CHECK(fresh[0]["sha256"].is_null());
  }
  SECTION("the table names each root's layout") {
    auto result = run_cli({"models", "list", "--library", webui.string()}, home.dir.path());
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains(webui.string() + " (AUTOMATIC1111)"));
    CHECK_THAT(result.out, Catch::Matches("[\\s\\S]*lora +SD1\\.x +ink +[0-9a-f]{10} +[\\s\\S]*"));
  }
  SECTION("a bad --kind is refused") {
    auto result = run_cli({"models", "list", "--kind", "hypernetwork"}, home.dir.path());
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("hypernetwork"));
  }
}

TEST_CASE("without --library the library is Atelier's folder and the studio's roots", "[cli][library]") {
  Home home;
  const fs::path own = home.dir / "data/atelier/models";
  fs::create_directories(own / "checkpoints");
  fs::create_symlink(tiny_model_path(), own / "checkpoints/mine.safetensors");
  const fs::path webui = make_webui(home.dir / "webui");
  fs::create_directories(home.dir / "config/atelier");
  std::ofstream(home.dir / "config/atelier/library.json") << nlohmann::json{{"roots", nlohmann::json::array({webui.string()})}}.dump();

  const auto list = listed({"models", "list", "--json", "--no-hash"}, home.dir.path());
  CHECK(entry_named(list, "checkpoint", "mine")["path"] == (own / "checkpoints/mine.safetensors").string());
  CHECK(entry_named(list, "lora", "ink")["path"] == (webui / "models/Lora/ink.safetensors").string());
}

TEST_CASE("generate --model takes a library name or hash", "[cli][library]") {
  Home home;
  const fs::path webui = make_webui(home.dir / "webui");
  const auto generate = [&](const std::string& model, const fs::path& output) {
    return run_cli({"generate", "--library", webui.string(), "--model", model, "--prompt", "a fox", "--steps", "2",
                    "--width", "64", "--height", "64", "--seed", "7", "--device", "cpu", "--output", output.string()},
                   home.dir.path());
  };
  auto by_name = generate("tiny", home.dir / "by-name.png");
  INFO(by_name.err);
  REQUIRE(by_name.exit_code == 0);
  const std::string autov2 = sha256_file(tiny_model_path()).substr(0, 10);
  std::string parameters;
  for (const auto& text : read_png_texts(home.dir / "by-name.png"))
    if (text.keyword == "parameters") parameters = text.text;
  CHECK_THAT(parameters, Catch::Contains("Model hash: " + autov2) && Catch::Contains("Model: tiny"));

  auto by_hash = generate(autov2, home.dir / "by-hash.png");
  INFO(by_hash.err);
  CHECK(by_hash.exit_code == 0);
  CHECK(load_image(home.dir / "by-hash.png").rgb == load_image(home.dir / "by-name.png").rgb);

  auto missing = generate("absent", home.dir / "missing.png");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("model 'absent' not found") && Catch::Contains(webui.string()));
  CHECK_FALSE(fs::exists(home.dir / "missing.png"));
}
