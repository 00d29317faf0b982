#include "core/gallery/output_folder.h"

#include <cstdlib>
#include <ctime>

namespace atelier {

std::filesystem::path default_output_folder() {
  if (const char* pictures = std::getenv("XDG_PICTURES_DIR"); pictures && *pictures) {
    return std::filesystem::path(pictures) / "Atelier";
  }
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / "Pictures" / "Atelier";
  return "Atelier";
}

std::filesystem::path dated_folder(const std::filesystem::path& root, std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  localtime_r(&seconds, &local);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &local);
  return root / date;
}

}  // namespace atelier
