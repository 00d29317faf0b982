#pragma once
// Locates files shipped in resources/ (CLIP vocabulary) in a build tree and after install.
#include <filesystem>

namespace atelier {

// The path of `relative` inside the resource folder: $ATELIER_RESOURCE_DIR if set, else the
// share/atelier beside the running program's bin/ (its install prefix, wherever the package was
// unpacked), else, for a program inside the build tree only, the source tree's resources/.
// Throws Error naming the folders searched when none has it.
std::filesystem::path resource_path(const std::filesystem::path& relative);

}  // namespace atelier
