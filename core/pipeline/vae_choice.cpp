#include "core/pipeline/vae_choice.h"

#include <string>

#include "core/error.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

// A VAE file or a diffusers folder.
bool is_vae_path(const fs::path& path) { return fs::is_regular_file(path) || fs::is_directory(path); }

}  // namespace

std::optional<fs::path> resolve_vae(std::string_view choice, const fs::path& model, const AddonFolders& folders,
                                    const std::string& recorded_hash) {
  if (choice.empty() || choice == kVaeAutomatic || choice == "Automatic") {
    // A1111's find_vae_near_checkpoint: the model's path without its extension, + ".vae.*".
    const fs::path stem = fs::path(model).replace_extension();
    for (const char* extension : {".vae.pt", ".vae.ckpt", ".vae.safetensors"}) {
      const fs::path candidate = stem.string() + extension;
      if (fs::is_regular_file(candidate)) return candidate;
    }
    return std::nullopt;
  }
  if (choice == kVaeNone || choice == "None") return std::nullopt;
  const std::string name(choice);
  const fs::path path{name};
  if (is_vae_path(path)) return path;
  if (!path.has_parent_path()) {
    if (const fs::path beside = model.parent_path() / path; is_vae_path(beside)) return beside;
    if (auto found = folders.find_vae(name)) return found;
  }
  if (auto renamed = folders.find_by_hash(AddonKind::Vae, recorded_hash)) return renamed;
  std::string looked_in = "beside the model";
  for (const auto& folder : folders.folders().vaes) looked_in += ", " + folder.string();
  throw InvalidArgument("VAE '" + name + "'" + (recorded_hash.empty() ? "" : " (hash " + recorded_hash + ")") +
                        " not found (looked " + looked_in +
                        "): give a VAE file or diffusers folder, a VAE folder's file name, or auto or none");
}

}  // namespace atelier
