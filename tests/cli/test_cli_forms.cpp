// atelier-cli over the model forms of sd1-tiny-formats: a diffusers folder wherever a checkpoint
// goes, --vae recorded as A1111 records it and re-run.
#include <algorithm>
#include <catch2/catch.hpp>

#include "cli/cli_runner.h"
#include "core/io/image.h"
#include "core/io/png.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::cli_test;
using atelier::test::TempDir;

namespace {

std::filesystem::path formats(const std::string& relative) {
  return std::filesystem::path(ATELIER_FIXTURES_DIR) / "sd1-tiny-formats" / relative;
}

std::vector<std::string> forms_generate_args(const std::filesystem::path& model, const std::filesystem::path& output) {
  return {"generate", "--model", model.string(), "--prompt", "a lighthouse", "--steps", "3", "--width", "64",
          "--height", "64", "--seed", "42", "--device", "cpu", "--output", output.string()};
}

}  // namespace

TEST_CASE("inspect and generate take a diffusers folder as they take a file", "[cli][forms]") {
  TempDir dir;
  const auto inspected = run_cli({"inspect", formats("diffusers/").string()}, dir.path());
  INFO(inspected.err);
  REQUIRE(inspected.exit_code == 0);
  CHECK_THAT(inspected.out, Catch::Contains("family: SD1.x (epsilon)") && Catch::Contains("tensors: 420") &&
                                Catch::Contains("status: supported"));

  const auto from_folder = run_cli(forms_generate_args(formats("diffusers/"), dir / "folder.png"), dir.path());
  INFO(from_folder.err);
  REQUIRE(from_folder.exit_code == 0);
  REQUIRE(run_cli(forms_generate_args(atelier::test::tiny_model_path(), dir / "file.png"), dir.path()).exit_code == 0);
  CHECK(load_image(dir / "folder.png").rgb == load_image(dir / "file.png").rgb);
  CHECK_THAT(a1111_text(dir / "folder.png"), Catch::Contains("Model: diffusers") && !Catch::Contains("Model hash"));
}

TEST_CASE("a .ckpt generates the single file's image; a hostile one exits 2 with the reader's message", "[cli][forms]") {
  TempDir dir;
  const auto model = dir / "model.ckpt";
  std::filesystem::copy_file(formats("ckpt/model.ckpt"), model);
  std::filesystem::copy_file(atelier::test::data_path("sd1-tiny/model.yaml"), dir / "model.yaml");
  const auto from_ckpt = run_cli(forms_generate_args(model, dir / "ckpt.png"), dir.path());
  INFO(from_ckpt.err);
  REQUIRE(from_ckpt.exit_code == 0);
  REQUIRE(run_cli(forms_generate_args(atelier::test::tiny_model_path(), dir / "file.png"), dir.path()).exit_code == 0);
  CHECK(load_image(dir / "ckpt.png").rgb == load_image(dir / "file.png").rgb);

  for (const char* command : {"inspect", "generate"}) {
    INFO(command);
    const auto hostile = formats("malicious/os_system.ckpt");
    const auto refused = std::string(command) == "inspect"
                             ? run_cli({"inspect", hostile.string()}, dir.path())
                             : run_cli(forms_generate_args(hostile, dir / "hostile.png"), dir.path());
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains(hostile.string()) && Catch::Contains("os.system"));
    CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "hostile.png"));
}

TEST_CASE("generate --vae records the VAE as A1111 does and a re-run takes it again", "[cli][forms]") {
  TempDir dir;
  const auto vae = formats("vae/vae-tiny-ft-mse.safetensors");
  auto args = forms_generate_args(atelier::test::tiny_model_path(), dir / "vae.png");
  args.insert(args.end(), {"--vae", vae.string()});
  const auto result = run_cli(args, dir.path());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(a1111_text(dir / "vae.png"),
             Catch::Contains("Model: model, VAE hash: c6c920b754, VAE: vae-tiny-ft-mse.safetensors, "));
  REQUIRE(run_cli(forms_generate_args(atelier::test::tiny_model_path(), dir / "own.png"), dir.path()).exit_code == 0);
  CHECK(load_image(dir / "vae.png").rgb != load_image(dir / "own.png").rgb);

  const auto rerun = run_cli({"generate", "--from", (dir / "vae.png").string(), "--output", (dir / "again.png").string()},
                             dir.path());
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(load_image(dir / "again.png").rgb == load_image(dir / "vae.png").rgb);

  args.back() = "/nowhere/vae.safetensors";
  const auto missing = run_cli(args, dir.path());
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("/nowhere/vae.safetensors"));
}

TEST_CASE("generate --vae NAME finds the VAE in the library's VAE folder; a re-run finds it renamed by its hash",
          "[cli][forms]") {
  TempDir dir;
  const auto vaes = dir / "webui" / "models" / "VAE";
  std::filesystem::create_directories(vaes);
  std::filesystem::create_directories(dir / "webui" / "models" / "Stable-diffusion");  // what marks an A1111 install
  std::filesystem::copy_file(formats("vae/vae-tiny-ft-mse.safetensors"), vaes / "ft-mse.safetensors");
  auto args = forms_generate_args(atelier::test::tiny_model_path(), dir / "named.png");
  args.insert(args.end(), {"--vae", "ft-mse.safetensors", "--library", (dir / "webui").string()});
  const auto named = run_cli(args, dir.path());
  INFO(named.err);
  REQUIRE(named.exit_code == 0);
  CHECK_THAT(a1111_text(dir / "named.png"), Catch::Contains("VAE hash: c6c920b754, VAE: ft-mse.safetensors, "));

  std::filesystem::rename(vaes / "ft-mse.safetensors", vaes / "renamed.safetensors");
  const auto rerun = run_cli({"generate", "--from", (dir / "named.png").string(), "--library",
                              (dir / "webui").string(), "--output", (dir / "again.png").string()},
                             dir.path());
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(load_image(dir / "again.png").rgb == load_image(dir / "named.png").rgb);
  CHECK_THAT(a1111_text(dir / "again.png"), Catch::Contains("VAE hash: c6c920b754, VAE: renamed.safetensors, "));

  std::filesystem::remove(vaes / "renamed.safetensors");
  const auto missing = run_cli({"generate", "--from", (dir / "named.png").string(), "--library",
                                (dir / "webui").string(), "--output", (dir / "gone.png").string()},
                               dir.path());
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("VAE 'ft-mse.safetensors' (hash c6c920b754) not found"));
  CHECK_FALSE(std::filesystem::exists(dir / "gone.png"));
}
