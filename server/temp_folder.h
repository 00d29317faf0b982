#pragma once
// A private folder (mode 0700) for the files a request carries (init image, mask, a PNG to
// read), removed with everything in it when the last holder lets go.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace atelier::server {

class TempFolder {
 public:
  TempFolder();  // Error when the system's temporary folder refuses one
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  // Writes `bytes` to `name` inside the folder and returns its path; Error on failure.
  std::filesystem::path write(const std::string& name, const std::vector<std::uint8_t>& bytes) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace atelier::server
