#include "core/io/resources.h"

#include <cstdlib>
#include <vector>

#include "core/error.h"

namespace atelier {

std::filesystem::path resource_path(const std::filesystem::path& relative) {
  std::vector<std::filesystem::path> roots;
  if (const char* env = std::getenv("ATELIER_RESOURCE_DIR")) roots.emplace_back(env);
  roots.emplace_back(ATELIER_INSTALL_RESOURCE_DIR);
  roots.emplace_back(ATELIER_SOURCE_RESOURCE_DIR);
  std::string searched;
  for (const auto& root : roots) {
    auto candidate = root / relative;
    if (std::filesystem::exists(candidate)) return candidate;
    searched += "\n  " + candidate.string();
  }
  throw Error("resource " + relative.string() + " not found; looked in:" + searched);
}

}  // namespace atelier
