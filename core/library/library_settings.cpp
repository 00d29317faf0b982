#include "core/library/library_settings.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace atelier {
namespace {

// $VARIABLE, else ~/fallback (the XDG base directory defaults).
std::filesystem::path xdg_dir(const char* variable, const char* fallback) {
  if (const char* value = std::getenv(variable); value && *value) return value;
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / fallback;
  return std::filesystem::temp_directory_path();
}

// The same folder written with or without a trailing separator or "." parts compares equal.
std::filesystem::path folder_key(const std::filesystem::path& folder) {
  auto normal = folder.lexically_normal();
  return normal.has_filename() ? normal : normal.parent_path();
}

}  // namespace

std::filesystem::path default_library_folder() { return xdg_dir("XDG_DATA_HOME", ".local/share") / "atelier" / "models"; }

std::filesystem::path library_settings_file() { return xdg_dir("XDG_CONFIG_HOME", ".config") / "atelier" / "library.json"; }

std::vector<std::filesystem::path> read_library_roots(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return {};
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (!json.is_object() || !json.contains("roots") || !json["roots"].is_array())
    throw FormatError(file.string() + ": expected {\"roots\": [folders]}");
  std::vector<std::filesystem::path> roots;
  for (const auto& root : json["roots"]) {
    if (!root.is_string()) throw FormatError(file.string() + ": roots: expected folder names, found " + root.dump());
    roots.emplace_back(root.get<std::string>());
  }
  return roots;
}

void write_library_roots(const std::vector<std::filesystem::path>& roots, const std::filesystem::path& file) {
  nlohmann::json json{{"roots", nlohmann::json::array()}};
  for (const auto& root : roots) json["roots"].push_back(root.string());
  const std::string text = json.dump(2) + "\n";
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error) throw Error("cannot create " + file.parent_path().string() + ": " + error.message());
  write_file_atomically(file, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::vector<std::filesystem::path> library_roots_with_own(const std::vector<std::filesystem::path>& extra) {
  std::vector<std::filesystem::path> roots{default_library_folder()};
  for (const auto& root : extra) {
    const auto same = [&](const std::filesystem::path& r) { return folder_key(r) == folder_key(root); };
    if (std::none_of(roots.begin(), roots.end(), same)) roots.push_back(root);
  }
  return roots;
}

}  // namespace atelier
