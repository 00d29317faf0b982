#pragma once
// Where generated images go: $XDG_PICTURES_DIR/Atelier (or ~/Pictures/Atelier), one
// sub-folder a day, A1111-style names inside (image_output.h's sequential_outputs).
#include <chrono>
#include <filesystem>

namespace atelier {

// $XDG_PICTURES_DIR/Atelier when set, else $HOME/Pictures/Atelier, else ./Atelier.
std::filesystem::path default_output_folder();

// root/2024-05-01 for a time on that local date.
std::filesystem::path dated_folder(const std::filesystem::path& root, std::chrono::system_clock::time_point time);

}  // namespace atelier
