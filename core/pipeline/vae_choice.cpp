#include "core/pipeline/vae_choice.h"

#include <string>

#include "core/error.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

// A VAE file or a diffusers folder.
bool is_vae_path(const fs::path& path) { return fs::is_regular_file(path) || fs::is_directory(path); }

}  // namespace

std::optional<fs::path> find_vae_by_name(std::string_view name, const fs::path& model) {
  const fs::path file{std::string(name)};
  if (file.has_parent_path()) return std::nullopt;  // a path, not a name
  const fs::path beside = model.parent_path() / file;
  if (is_vae_path(beside)) return beside;
  return std::nullopt;
}

std::optional<fs::path> resolve_vae(std::string_view choice, const fs::path& model) {
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
  const fs::path path{std::string(choice)};
  if (is_vae_path(path)) return path;
  if (auto named = find_vae_by_name(choice, model)) return named;
  throw InvalidArgument("VAE '" + std::string(choice) +
                        "' not found: give a VAE file or diffusers folder, or auto or none");
}

}  // namespace atelier
