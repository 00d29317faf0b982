#pragma once
// The folders of a library root, found by its layout: an AUTOMATIC1111 install, a ComfyUI install
// (with the folders its extra_model_paths.yaml adds), or Atelier's own folder.
//
// | kind        | Atelier                    | AUTOMATIC1111                  | ComfyUI                          |
// |-------------|----------------------------|--------------------------------|----------------------------------|
// | checkpoint  | checkpoints/, loose files  | models/Stable-diffusion        | models/checkpoints, models/diffusers |
// | lora        | loras/                     | models/Lora                    | models/loras                     |
// | lycoris     |                            | models/LyCORIS                 |                                  |
// | embedding   | embeddings/                | embeddings/                    | models/embeddings                |
// | vae         | vae/                       | models/VAE                     | models/vae                       |
// | upscaler    | upscalers/                 | models/ESRGAN, models/RealESRGAN | models/upscale_models          |
// | taesd       | vae-approx/                | models/VAE-taesd               | models/vae_approx                |
//
// "Loose files" are the model files at the top of an Atelier root: a plain folder of checkpoints
// (what the studio's models folder was before it had kind folders) is an Atelier root.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/library/model_kind.h"

namespace atelier {

enum class RootLayout { Atelier, A1111, ComfyUI };

std::string_view layout_name(RootLayout layout);  // "Atelier", "AUTOMATIC1111", "ComfyUI"

// A folder of one kind of file.
struct KindFolder {
  ModelKind kind = ModelKind::Checkpoint;
  std::filesystem::path path;
  bool recursive = true;  // false for the loose files at the top of an Atelier root

  friend bool operator==(const KindFolder&, const KindFolder&) = default;
};

struct LibraryRoot {
  std::filesystem::path path;
  RootLayout layout = RootLayout::Atelier;
  std::vector<KindFolder> folders;    // those that exist, in lookup order
  std::vector<std::string> problems;  // e.g. an extra_model_paths.yaml that cannot be read
};

// A1111 when the root has models/Stable-diffusion or models/Lora; ComfyUI when it has
// models/checkpoints, models/loras or extra_model_paths.yaml; else Atelier.
RootLayout detect_layout(const std::filesystem::path& root);

// The root's layout and its existing kind folders. Never throws: problems are reported in it.
LibraryRoot describe_root(const std::filesystem::path& root);

// The folders of `kinds` that `roots` have, root by root in lookup order: e.g. where a prompt's
// LoRAs (Lora, Lycoris) or embeddings are looked for.
std::vector<std::filesystem::path> kind_folders(const std::vector<std::filesystem::path>& roots,
                                                const std::vector<ModelKind>& kinds);

// Where an Atelier root keeps files of `kind` (checkpoints/, loras/ ...), whether it exists or not:
// where downloads go.
std::filesystem::path atelier_kind_folder(const std::filesystem::path& root, ModelKind kind);

struct ExtraModelPaths {
  std::vector<KindFolder> first;  // of `is_default: true` sections: looked in before the install's own
  std::vector<KindFolder> last;   // of the other sections: after them
};

// The folders that ComfyUI's extra_model_paths.yaml names for the kinds Atelier knows (checkpoints,
// diffusers, loras, embeddings, vae, upscale_models, vae_approx; others are ignored), as ComfyUI reads it: each
// section's `base_path` (~ and $VARS expanded; relative to the yaml's folder) joined with each line
// of each value; without base_path a relative line is relative to the yaml's folder. Throws
// FormatError naming the file when it is not YAML of that shape.
ExtraModelPaths read_extra_model_paths(const std::filesystem::path& yaml);

}  // namespace atelier
