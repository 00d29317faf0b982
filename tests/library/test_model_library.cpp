// The model library over an A1111-shaped and a ComfyUI-shaped tree (whose extra_model_paths.yaml
// points at a third folder) and Atelier's own folder, built from small files.
#include "core/library/model_library.h"

#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <fstream>
#include <ostream>
#include <thread>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

namespace atelier {
// How Catch shows scan counts in a failed comparison.
std::ostream& operator<<(std::ostream& out, const ScanStats& s) {
  return out << "{added " << s.added << ", changed " << s.changed << ", removed " << s.removed << ", unchanged "
             << s.unchanged << "}";
}
}  // namespace atelier

using namespace atelier;
using atelier::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Tensors = std::vector<std::pair<std::string, at::Tensor>>;
using Metadata = std::map<std::string, std::string>;

void write(const fs::path& path, const Tensors& tensors, const Metadata& metadata = {}) {
  fs::create_directories(path.parent_path());
  write_safetensors(path, tensors, metadata);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A LoRA module's two matrices, the down one reading `width` inputs.
Tensors lora_module(const std::string& prefix, std::int64_t width, const std::string& down = "lora_down.weight",
                    const std::string& up = "lora_up.weight") {
  return {{prefix + "." + down, at::ones({4, width})}, {prefix + "." + up, at::ones({width, 4})},
          {prefix + ".alpha", at::scalar_tensor(4.0)}};
}

Tensors join(Tensors a, const Tensors& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Metadata kohya(const std::string& output_name, const std::string& base_version) {
  return {{"ss_output_name", output_name}, {"ss_base_model_version", base_version}, {"ss_network_module", "networks.lora"}};
}

void write_pipeline(const fs::path& folder, const std::string& pipeline, bool first_text_encoder) {
  write_text(folder / "model_index.json",
             R"({"_class_name": ")" + pipeline + R"(", "text_encoder": )" +
                 (first_text_encoder ? R"(["transformers", "CLIPTextModel"])" : "[null, null]") +
                 R"(, "unet": ["diffusers", "UNet2DConditionModel"]})");
  write_text(folder / "unet/config.json", R"({"cross_attention_dim": 2048})");
  write(folder / "unet/diffusion_pytorch_model.safetensors", {{"conv_in.weight", at::zeros({1})}});
}

// The trees of the test: an A1111 install, a ComfyUI install whose yaml adds `shared` (and an
// is_default `first`), and Atelier's own folder.
struct Trees {
  TempDir dir;
  fs::path a1111 = dir / "webui", comfy = dir / "comfy", shared = dir / "shared", first = dir / "first",
           own = dir / "own";

  Trees() {
    const fs::path tiny = atelier::test::tiny_model_path();
    const fs::path sd = a1111 / "models/Stable-diffusion";
    fs::create_directories(sd);
    fs::create_symlink(tiny, sd / "tiny.safetensors");
    write_text(sd / "sub/pickled.ckpt", "not really a pickle");
    write(sd / "tiny.vae.safetensors", {{"decoder.conv_in.weight", at::zeros({2})}});
    write_text(sd / "tiny.yaml", "a sidecar config, not a model");
    write(a1111 / "models/Lora/ink.safetensors",
          join(lora_module("lora_te_text_model_encoder_layers_0_self_attn_q_proj", 768),
               lora_module("lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k", 768)),
          kohya("inkstyle", "sd_v1"));
    write(a1111 / "models/Lora/styles/xl_detail.safetensors",
          join(lora_module("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", 768),
               lora_module("lora_te2_text_model_encoder_layers_0_self_attn_q_proj", 1280)));
    write(a1111 / "models/Lora/.hidden.safetensors", lora_module("lora_te_x", 768));
    write_text(a1111 / "models/Lora/ink.preview.png", "an image");
    write(a1111 / "models/LyCORIS/hada.safetensors",
          {{"lora_unet_conv_in.hada_w1_a", at::ones({4, 2})}, {"lora_unet_conv_in.hada_w1_b", at::ones({2, 4})}});
    write_text(a1111 / "models/VAE/kl-f8.pt", "pickled vae");
    write_text(a1111 / "models/ESRGAN/4x-Ultra.pth", "pickled upscaler");
    write(a1111 / "embeddings/glow.safetensors", {{"emb_params", at::ones({2, 768})}});

    write_pipeline(comfy / "models/diffusers/xl-base", "StableDiffusionXLPipeline", true);
    write_pipeline(comfy / "models/checkpoints/xl-refiner", "StableDiffusionXLImg2ImgPipeline", false);
    write(comfy / "models/loras/sd2_style.safetensors",
          lora_module("lora_te_text_model_encoder_layers_3_self_attn_k_proj", 1024, "lora_A.weight", "lora_B.weight"));
    write(comfy / "models/loras/xl_unet_only.safetensors",
          lora_module("lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k", 2048));
    write(comfy / "models/embeddings/xl_emb.safetensors", {{"clip_g", at::ones({1, 1280})}, {"clip_l", at::ones({1, 768})}});
    write(comfy / "models/upscale_models/x2.safetensors", {{"conv_first.weight", at::zeros({1})}});
    write_text(comfy / "extra_model_paths.yaml",
               "shared:\n  base_path: ../shared\n  checkpoints: checkpoints\n  loras: |\n    loras\n    more-loras\n"
               "  vae: vae\nfirst:\n  base_path: " + first.string() + "\n  is_default: true\n  loras: loras\n");

    write_text(shared / "checkpoints/shared_model.ckpt", "shared pickle");
    write(shared / "loras/ink.safetensors", lora_module("lora_te_other", 768), kohya("other_ink", "sd_v1"));
    write(shared / "more-loras/extra.safetensors", lora_module("lora_te_text_model_encoder_layers_5_self_attn_v_proj", 768));
    write(shared / "vae/shared-vae.safetensors", {{"decoder.conv_in.weight", at::zeros({3})}});
    write(first / "loras/priority.safetensors", lora_module("lora_te_priority", 768));

    write(own / "loose.safetensors", {{"model.diffusion_model.out.2.weight", at::zeros({4})}});
    fs::create_directories(own / "checkpoints");
    fs::create_symlink(tiny, own / "checkpoints/linked.safetensors");  // A1111's tiny again: listed once
    write(own / "loras/own_lora.safetensors", lora_module("lora_te_own", 768));
  }

  // The roots in lookup order; `shared` is also reached through the ComfyUI yaml.
  std::vector<fs::path> roots() const { return {a1111, comfy, own, shared}; }
};

LibraryEntry required(const std::optional<LibraryEntry>& entry) {
  REQUIRE(entry);
  return *entry;
}

std::vector<std::string> names(const std::vector<LibraryEntry>& entries) {
  std::vector<std::string> result;
  for (const auto& entry : entries) result.push_back(entry.name);
  return result;
}

}  // namespace

TEST_CASE("the library lists each kind of file with A1111's names", "[model_library]") {
  Trees trees;
  ModelLibrary library(trees.roots(), trees.dir / "hashes.json");
  CHECK(library.entries().empty());  // nothing is read before the first scan
  const ScanStats stats = library.scan();
  CHECK(stats.added == static_cast<int>(library.entries().size()));

  const auto roots = library.roots();
  REQUIRE(roots.size() == 4);
  CHECK(roots[0].layout == RootLayout::A1111);
  CHECK(roots[1].layout == RootLayout::ComfyUI);
  CHECK(roots[2].layout == RootLayout::Atelier);

  CHECK(names(library.entries(ModelKind::Checkpoint)) ==
        std::vector<std::string>{"sub/pickled", "tiny", "xl-refiner", "xl-base", "shared_model", "loose"});
  CHECK(names(library.entries(ModelKind::Lora)) ==
        std::vector<std::string>{"ink", "styles/xl_detail", "hada", "priority", "sd2_style", "xl_unet_only", "ink",
                                 "extra", "own_lora"});
  CHECK(names(library.entries(ModelKind::Embedding)) == std::vector<std::string>{"glow", "xl_emb"});
  CHECK(names(library.entries(ModelKind::Vae)) == std::vector<std::string>{"tiny.vae", "kl-f8", "shared-vae"});
  CHECK(names(library.entries(ModelKind::Upscaler)) == std::vector<std::string>{"4x-Ultra", "x2"});

  const auto pickled = required(library.find(ModelKind::Checkpoint, "sub/pickled"));
  CHECK(pickled.stem == "pickled");
  CHECK(pickled.relative_path == "sub/pickled.ckpt");
  CHECK(pickled.file_name == "pickled.ckpt");
  CHECK(pickled.path == trees.a1111 / "models/Stable-diffusion/sub/pickled.ckpt");
  CHECK(pickled.root == trees.a1111);
  CHECK(pickled.family == ModelFamily::Unknown);
  // The third folder is found through the yaml, under the ComfyUI root, and listed once.
  CHECK(required(library.find(ModelKind::Checkpoint, "shared_model")).root == trees.comfy);
  CHECK(required(library.find(ModelKind::Vae, "shared-vae")).root == trees.comfy);

  SECTION("families") {
    const auto tiny = required(library.find(ModelKind::Checkpoint, "tiny"));
    CHECK(tiny.family == ModelFamily::SD1);
    CHECK(tiny.description == "SD1.x (epsilon)");
    CHECK(tiny.problem.empty());
    CHECK(required(library.find(ModelKind::Checkpoint, "xl-base")).family == ModelFamily::SDXLBase);
    CHECK(required(library.find(ModelKind::Checkpoint, "xl-base")).diffusers_folder);
    CHECK(required(library.find(ModelKind::Checkpoint, "xl-refiner")).family == ModelFamily::SDXLRefiner);
    CHECK(required(library.find(ModelKind::Checkpoint, "xl-refiner")).default_size == ImageSize{1024, 1024});
    CHECK(required(library.find(ModelKind::Lora, "ink")).family == ModelFamily::SD1);
    CHECK(required(library.find(ModelKind::Lora, "xl_detail")).family == ModelFamily::SDXLBase);
    CHECK(required(library.find(ModelKind::Lora, "sd2_style")).family == ModelFamily::SD2);
    CHECK(required(library.find(ModelKind::Lora, "xl_unet_only")).family == ModelFamily::SDXLBase);
    CHECK(required(library.find(ModelKind::Lora, "extra")).family == ModelFamily::SD1);
    CHECK(required(library.find(ModelKind::Lora, "priority")).family == ModelFamily::Unknown);  // nothing tells
    CHECK(required(library.find(ModelKind::Embedding, "glow")).family == ModelFamily::SD1);
    CHECK(required(library.find(ModelKind::Embedding, "xl_emb")).family == ModelFamily::SDXLBase);
  }

  SECTION("kinds: LyCORIS by its keys, sharing LoRA names; VAEs beside checkpoints") {
    CHECK(required(library.find(ModelKind::Lora, "hada")).kind == ModelKind::Lycoris);
    CHECK(required(library.find(ModelKind::Lycoris, "ink")).kind == ModelKind::Lora);
    CHECK(required(library.find(ModelKind::Lora, "own_lora")).kind == ModelKind::Lora);
    CHECK(required(library.find(ModelKind::Vae, "tiny.vae.safetensors")).kind == ModelKind::Vae);
    CHECK_FALSE(library.find(ModelKind::Checkpoint, "tiny.vae"));
    CHECK_FALSE(library.find(ModelKind::Lora, "tiny"));
  }

  SECTION("names: relative name, stem, file name, alias; case-sensitive; the first root wins") {
    const auto ink = required(library.find(ModelKind::Lora, "ink"));
    CHECK(ink.path == trees.a1111 / "models/Lora/ink.safetensors");
    CHECK(ink.alias == "inkstyle");
    CHECK(required(library.find(ModelKind::Lora, "inkstyle")).path == ink.path);
    CHECK(required(library.find(ModelKind::Lora, "other_ink")).path == trees.shared / "loras/ink.safetensors");
    CHECK(required(library.find(ModelKind::Lora, "xl_detail")).name == "styles/xl_detail");
    CHECK(required(library.find(ModelKind::Lora, "styles/xl_detail.safetensors")).stem == "xl_detail");
    CHECK(required(library.find(ModelKind::Vae, "kl-f8.pt")).stem == "kl-f8");
    CHECK_FALSE(library.find(ModelKind::Lora, "InkStyle"));
    CHECK_FALSE(library.find(ModelKind::Lora, "Ink"));
    CHECK_FALSE(library.find(ModelKind::Lora, ""));
  }

  SECTION("hashes: computed on request, remembered, and found by each of A1111's forms") {
    const auto ink = required(library.find(ModelKind::Lora, "ink"));
    CHECK_FALSE(ink.hashes);
    const ModelHashes expected = hash_model_file(ink.path);
    CHECK(library.hashes(ink) == expected);
    CHECK(required(library.find(ModelKind::Lora, "ink")).hashes == expected);
    for (const std::string& hash : {expected.autov2(), expected.sha256, expected.addnet_short(), expected.addnet,
                                    expected.sha256.substr(0, 12)}) {
      INFO(hash);
      CHECK(required(library.find_by_hash(ModelKind::Lora, hash)).path == ink.path);
    }
    // Not yet hashed files are hashed until one matches.
    const fs::path extra = trees.shared / "more-loras/extra.safetensors";
    CHECK(required(library.find_by_hash(ModelKind::Lora, hash_model_file(extra).autov2())).path == extra);

    const auto tiny = required(library.find(ModelKind::Checkpoint, "tiny"));
    const std::string old_hash = a1111_model_hash(tiny.path);
    CHECK(required(library.find_by_hash(ModelKind::Checkpoint, old_hash)).path == tiny.path);
    const ModelHashes tiny_hashes = library.hashes(tiny);
    std::string upper = tiny_hashes.autov2();
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(required(library.find_by_hash(ModelKind::Checkpoint, upper)).path == tiny.path);
    CHECK_FALSE(library.find_by_hash(ModelKind::Lora, tiny_hashes.autov2()));
    CHECK_FALSE(library.find_by_hash(ModelKind::Checkpoint, "0123456789"));
    CHECK_FALSE(library.find_by_hash(ModelKind::Checkpoint, "not-a-hash"));
    CHECK_THROWS_AS(library.hashes(required(library.find(ModelKind::Checkpoint, "xl-base"))), InvalidArgument);

    // Another library on the same cache file knows them without reading the files.
    ModelLibrary again(trees.roots(), trees.dir / "hashes.json");
    again.scan();
    CHECK(required(again.find(ModelKind::Lora, "ink")).hashes == expected);
  }

  SECTION("resolve: a path, a name, an A1111 title, a hash") {
    const auto tiny = required(library.find(ModelKind::Checkpoint, "tiny"));
    const std::string autov2 = library.hashes(tiny).autov2();
    CHECK(required(library.resolve(ModelKind::Checkpoint, tiny.path.string())).name == "tiny");
    CHECK(required(library.resolve(ModelKind::Checkpoint, "tiny")).path == tiny.path);
    CHECK(required(library.resolve(ModelKind::Checkpoint, "tiny.safetensors [" + autov2 + "]")).path == tiny.path);
    CHECK(required(library.resolve(ModelKind::Checkpoint, "renamed [" + autov2 + "]")).path == tiny.path);
    CHECK(required(library.resolve(ModelKind::Checkpoint, autov2)).path == tiny.path);
    // A file outside the library is taken as it is.
    const auto outside = required(library.resolve(ModelKind::Checkpoint, atelier::test::tiny_fp16_model_path().string()));
    CHECK(outside.family == ModelFamily::SD1);
    CHECK(outside.name == "model-fp16");
    CHECK(outside.root.empty());
    CHECK_FALSE(library.resolve(ModelKind::Checkpoint, "absent"));
    CHECK_THROWS_WITH(library.require(ModelKind::Lora, "absent"),
                      Catch::Contains("lora 'absent'") && Catch::Contains(trees.a1111.string()));

    const ModelResolver resolve = library.resolver();
    CHECK(resolve(ModelKind::Lora, "inkstyle") == trees.a1111 / "models/Lora/ink.safetensors");
    CHECK(resolve(ModelKind::Embedding, "xl_emb") == trees.comfy / "models/embeddings/xl_emb.safetensors");
    CHECK_FALSE(resolve(ModelKind::Vae, "absent"));
  }
}

TEST_CASE("a re-scan reads only new and changed files", "[model_library]") {
  Trees trees;
  ModelLibrary library(trees.roots(), trees.dir / "hashes.json");
  const int count = library.scan().added;
  CHECK(library.scan() == ScanStats{0, 0, 0, count});

  // Same size and time: kept without reading, so a changed alias of the same length stays unseen.
  const fs::path ink = trees.a1111 / "models/Lora/ink.safetensors";
  const auto time = fs::last_write_time(ink);
  const auto tensors = join(lora_module("lora_te_text_model_encoder_layers_0_self_attn_q_proj", 768),
                            lora_module("lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k", 768));
  write(ink, tensors, kohya("inkstylx", "sd_v1"));
  fs::last_write_time(ink, time);
  CHECK(library.scan() == ScanStats{0, 0, 0, count});
  CHECK(library.find(ModelKind::Lora, "inkstyle"));

  // A new time is a change: read again.
  fs::last_write_time(ink, time + std::chrono::seconds(5));
  CHECK(library.scan() == ScanStats{0, 1, 0, count - 1});
  CHECK(library.find(ModelKind::Lora, "inkstylx"));
  CHECK_FALSE(library.find(ModelKind::Lora, "inkstyle"));

  write(trees.comfy / "models/loras/new.safetensors", lora_module("lora_te_text_model_encoder_layers_0_self_attn_out_proj", 1024));
  fs::remove(trees.a1111 / "models/VAE/kl-f8.pt");
  CHECK(library.scan() == ScanStats{1, 0, 1, count - 1});
  CHECK(required(library.find(ModelKind::Lora, "new")).family == ModelFamily::SD2);
  CHECK_FALSE(library.find(ModelKind::Vae, "kl-f8"));

  // Another root set: what is no longer under a root is gone.
  library.set_roots({trees.own});
  CHECK(library.scan() == ScanStats{1, 0, count - 2, 2});  // linked is no longer A1111's tiny again
  CHECK(names(library.entries()) == std::vector<std::string>{"loose", "linked", "own_lora"});
}

TEST_CASE("a damaged file is listed with its problem; lookups run during a scan", "[model_library]") {
  Trees trees;
  write_text(trees.comfy / "models/loras/broken.safetensors", "\xff\xff\xff\xff not a header");
  ModelLibrary library(trees.roots(), trees.dir / "hashes.json");
  library.scan();
  const auto broken = required(library.find(ModelKind::Lora, "broken"));
  CHECK_THAT(broken.problem, Catch::Contains("broken.safetensors"));
  CHECK(broken.family == ModelFamily::Unknown);

  std::thread scanner([&] {
    for (int i = 0; i < 20; ++i) library.scan();
  });
  int found = 0;
  for (int i = 0; i < 2000; ++i) found += library.find(ModelKind::Lora, "inkstyle") ? 1 : 0;
  scanner.join();
  CHECK(found == 2000);
}
