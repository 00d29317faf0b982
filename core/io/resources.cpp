#include "core/io/resources.h"

#include <cstdlib>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace atelier {
namespace {

std::filesystem::path running_program() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : path;
}

bool is_inside(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const auto relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

std::vector<std::filesystem::path> resource_roots() {
  std::vector<std::filesystem::path> roots;
  if (const char* env = std::getenv("ATELIER_RESOURCE_DIR")) roots.emplace_back(env);
  const auto program = running_program();
  if (!program.empty()) {
    roots.push_back((program.parent_path() / ATELIER_RESOURCE_DIR_FROM_BIN).lexically_normal());
    // An installed program never reads the source tree, even when it still exists.
    if (is_inside(program, ATELIER_BUILD_DIR)) roots.emplace_back(ATELIER_SOURCE_RESOURCE_DIR);
  }
  return roots;
}

}  // namespace

std::filesystem::path resource_path(const std::filesystem::path& relative) {
  std::string searched;
  for (const auto& root : resource_roots()) {
    auto candidate = root / relative;
    if (std::filesystem::exists(candidate)) return candidate;
    searched += "\n  " + candidate.string();
  }
  throw Error("resource " + relative.string() + " not found; looked in:" + searched);
}

}  // namespace atelier
