#pragma once
// Locates files shipped in resources/ (CLIP vocabulary, icons) in a build tree and after install.
#include <filesystem>

namespace atelier {

// The path of `relative` inside the resource folder: $ATELIER_RESOURCE_DIR if set, else the
// installed share/atelier, else the source tree's resources/. Throws Error when none has it.
std::filesystem::path resource_path(const std::filesystem::path& relative);

}  // namespace atelier
