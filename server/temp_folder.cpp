#include "server/temp_folder.h"

#include <stdlib.h>

#include <fstream>

#include "core/error.h"

namespace atelier::server {

TempFolder::TempFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "atelier-server-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw Error("cannot create a temporary folder like " + pattern);
  path_ = pattern;
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempFolder::write(const std::string& name, const std::vector<std::uint8_t>& bytes) const {
  const auto file = path_ / name;
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw Error("cannot write " + file.string());
  return file;
}

}  // namespace atelier::server
