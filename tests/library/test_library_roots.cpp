// Library roots: which layout a folder is, ComfyUI's extra_model_paths.yaml, and the roots the
// studio shares with atelier-cli.
#include "core/library/library_roots.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <ostream>

#include "core/error.h"
#include "core/library/library_settings.h"
#include "support/temp_dir.h"

namespace atelier {
// How Catch shows a folder in a failed comparison.
std::ostream& operator<<(std::ostream& out, const KindFolder& folder) {
  return out << kind_name(folder.kind) << " " << folder.path << (folder.recursive ? "" : " (top only)");
}
}  // namespace atelier

using namespace atelier;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

void make_dirs(const TempDir& dir, std::initializer_list<const char*> paths) {
  for (const char* path : paths) fs::create_directories(dir / path);
}

std::vector<fs::path> paths_of(const std::vector<KindFolder>& folders, ModelKind kind) {
  std::vector<fs::path> paths;
  for (const auto& folder : folders)
    if (folder.kind == kind) paths.push_back(folder.path);
  return paths;
}

}  // namespace

TEST_CASE("a root's layout is told by its folders", "[library_roots]") {
  TempDir a1111, comfy, comfy_yaml_only, own;
  make_dirs(a1111, {"models/Stable-diffusion", "models/Lora", "models/LyCORIS", "models/VAE", "models/ESRGAN", "embeddings",
                    "models/VAE-taesd"});
  make_dirs(comfy, {"models/checkpoints", "models/loras", "models/upscale_models", "models/diffusers", "models/vae_approx"});
  std::ofstream(comfy_yaml_only / "extra_model_paths.yaml") << "";
  make_dirs(own, {"checkpoints", "loras"});
  CHECK(detect_layout(a1111.path()) == RootLayout::A1111);
  CHECK(detect_layout(comfy.path()) == RootLayout::ComfyUI);
  CHECK(detect_layout(comfy_yaml_only.path()) == RootLayout::ComfyUI);
  CHECK(detect_layout(own.path()) == RootLayout::Atelier);

  const auto webui = describe_root(a1111.path());
  CHECK(webui.folders == std::vector<KindFolder>{
                             {ModelKind::Checkpoint, a1111 / "models/Stable-diffusion"},
                             {ModelKind::Lora, a1111 / "models/Lora"},
                             {ModelKind::Lycoris, a1111 / "models/LyCORIS"},
                             {ModelKind::Embedding, a1111 / "embeddings"},
                             {ModelKind::Vae, a1111 / "models/VAE"},
                             {ModelKind::Upscaler, a1111 / "models/ESRGAN"},
                             {ModelKind::Taesd, a1111 / "models/VAE-taesd"},
                         });
  const auto comfyui = describe_root(comfy.path());
  CHECK(paths_of(comfyui.folders, ModelKind::Checkpoint) ==
        std::vector<fs::path>{comfy / "models/checkpoints", comfy / "models/diffusers"});
  CHECK(paths_of(comfyui.folders, ModelKind::Upscaler) == std::vector<fs::path>{comfy / "models/upscale_models"});
  CHECK(paths_of(comfyui.folders, ModelKind::Taesd) == std::vector<fs::path>{comfy / "models/vae_approx"});
  // Atelier's own root: its loose files are checkpoints too (a plain folder of checkpoints).
  CHECK(describe_root(own.path()).folders == std::vector<KindFolder>{{ModelKind::Checkpoint, own.path(), false},
                                                                     {ModelKind::Checkpoint, own / "checkpoints"},
                                                                     {ModelKind::Lora, own / "loras"}});
  CHECK(describe_root(own / "absent").folders.empty());
}

TEST_CASE("extra_model_paths.yaml is read as ComfyUI reads it", "[library_roots]") {
  TempDir dir;
  ::setenv("ATELIER_TEST_MODELS", (dir / "env").c_str(), 1);
  ::setenv("HOME", (dir / "home").c_str(), 1);
  std::ofstream(dir / "extra_model_paths.yaml") << R"(
a111:
    base_path: webui/
    checkpoints: models/Stable-diffusion
    configs: models/Stable-diffusion
    loras: |
         models/Lora
         models/LyCORIS
    upscale_models: |
                  models/ESRGAN
                  models/RealESRGAN
    embeddings: embeddings
    controlnet: models/ControlNet
central:
    base_path: ${ATELIER_TEST_MODELS}/store
    is_default: true
    vae: vae
    diffusers: diffusers
home:
    base_path: ~/models
    loras: /absolute/loras
nobase:
    embeddings: relative/embeddings
empty:
)";
  const auto paths = read_extra_model_paths(dir / "extra_model_paths.yaml");
  CHECK(paths.first == std::vector<KindFolder>{{ModelKind::Vae, dir / "env/store/vae"},
                                               {ModelKind::Checkpoint, dir / "env/store/diffusers"}});
  CHECK(paths.last == std::vector<KindFolder>{
                          {ModelKind::Checkpoint, dir / "webui/models/Stable-diffusion"},
                          {ModelKind::Lora, dir / "webui/models/Lora"},
                          {ModelKind::Lora, dir / "webui/models/LyCORIS"},
                          {ModelKind::Upscaler, dir / "webui/models/ESRGAN"},
                          {ModelKind::Upscaler, dir / "webui/models/RealESRGAN"},
                          {ModelKind::Embedding, dir / "webui/embeddings"},
                          {ModelKind::Lora, "/absolute/loras"},
                          {ModelKind::Embedding, dir / "relative/embeddings"},
                      });

  std::ofstream(dir / "bad.yaml") << "a1111: [unclosed";
  CHECK_THROWS_AS(read_extra_model_paths(dir / "bad.yaml"), FormatError);
  std::ofstream(dir / "list.yaml") << "- checkpoints";
  CHECK_THROWS_WITH(read_extra_model_paths(dir / "list.yaml"), Catch::Contains("list.yaml"));
  std::ofstream(dir / "section.yaml") << "a1111: models";
  CHECK_THROWS_WITH(read_extra_model_paths(dir / "section.yaml"), Catch::Contains("a1111"));
}

TEST_CASE("a ComfyUI root adds the yaml's folders that exist, is_default ones first", "[library_roots]") {
  TempDir dir;
  fs::create_directories(dir / "comfy/models/loras");
  fs::create_directories(dir / "store/loras");
  fs::create_directories(dir / "first/loras");
  std::ofstream(dir / "comfy/extra_model_paths.yaml") << "shared:\n  base_path: ../store\n  loras: |\n    loras\n    absent\n"
                                                          "first:\n  base_path: ../first\n  is_default: true\n  loras: loras\n";
  const auto root = describe_root(dir / "comfy");
  CHECK(root.layout == RootLayout::ComfyUI);
  CHECK(root.problems.empty());
  CHECK(paths_of(root.folders, ModelKind::Lora) ==
        std::vector<fs::path>{dir / "first/loras", dir / "comfy/models/loras", dir / "store/loras"});

  std::ofstream(dir / "comfy/extra_model_paths.yaml") << "shared: [";
  const auto damaged = describe_root(dir / "comfy");
  REQUIRE(damaged.problems.size() == 1);
  CHECK_THAT(damaged.problems[0], Catch::Contains("extra_model_paths.yaml"));
  CHECK(paths_of(damaged.folders, ModelKind::Lora) == std::vector<fs::path>{dir / "comfy/models/loras"});
}

TEST_CASE("the library roots are shared through a JSON file", "[library_settings]") {
  TempDir dir;
  CHECK(read_library_roots(dir / "absent.json").empty());
  write_library_roots({"/models/a1111", dir / "comfy"}, dir / "config/library.json");
  CHECK(read_library_roots(dir / "config/library.json") == std::vector<fs::path>{"/models/a1111", dir / "comfy"});
  std::ofstream(dir / "damaged.json") << R"({"roots": "/not/a/list"})";
  CHECK_THROWS_WITH(read_library_roots(dir / "damaged.json"), Catch::Contains("damaged.json"));

  ::setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
  ::setenv("XDG_CONFIG_HOME", (dir / "config").c_str(), 1);
  CHECK(default_library_folder() == dir / "data/atelier/models");
  CHECK(library_settings_file() == dir / "config/atelier/library.json");
  CHECK(library_roots_with_own({dir / "data/atelier/models/", "/x", "/x/.", "/y"}) ==
        std::vector<fs::path>{dir / "data/atelier/models", "/x", "/y"});
}
