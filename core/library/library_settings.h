#pragma once
// Which roots the model library opens by default, shared by the studio and atelier-cli: Atelier's
// own folder, then the roots of the studio's settings (its "Model folders"), which the studio also
// writes to a small JSON file for atelier-cli, since the CLI does not read Qt's settings.
#include <filesystem>
#include <vector>

namespace atelier {

// Atelier's own library: $XDG_DATA_HOME/atelier/models, else ~/.local/share/atelier/models (the
// studio's default models folder), with the kind folders checkpoints/, loras/, embeddings/, vae/
// and upscalers/ (library_roots.h).
std::filesystem::path default_library_folder();

// $XDG_CONFIG_HOME/atelier/library.json, else ~/.config/atelier/library.json: {"roots": [paths]}.
std::filesystem::path library_settings_file();

// The roots the file lists; none when it does not exist. Throws FormatError naming the file
// when it is damaged.
std::vector<std::filesystem::path> read_library_roots(const std::filesystem::path& file = library_settings_file());

// Writes `roots` to `file` atomically (creating its folder). Throws Error naming the file on failure.
void write_library_roots(const std::vector<std::filesystem::path>& roots,
                         const std::filesystem::path& file = library_settings_file());

// Atelier's own folder followed by `extra` (each once, in order).
std::vector<std::filesystem::path> library_roots_with_own(const std::vector<std::filesystem::path>& extra);

}  // namespace atelier
