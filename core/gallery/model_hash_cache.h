#pragma once
// AutoV2 model hashes, computed once per file and remembered by path, size and time in a JSON
// file, since hashing a multi-GB checkpoint takes seconds. Call it from a worker thread, never
// the UI thread; calls may come from several threads.
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace atelier {

class ModelHashCache {
 public:
  // Reads `file` when it exists; a damaged one is ignored (the hashes are computed again).
  explicit ModelHashCache(std::filesystem::path file = default_file());

  // $XDG_CACHE_HOME/atelier/model-hashes.json, or ~/.cache/atelier/model-hashes.json.
  static std::filesystem::path default_file();

  // The first 10 hex digits of the model's SHA-256, from the cache when the file is unchanged.
  // Throws Error naming the model when it cannot be read.
  std::string autov2(const std::filesystem::path& model);

 private:
  std::filesystem::path file_;
  std::mutex mutex_;
  nlohmann::json entries_;  // path -> {"size", "mtime", "hash"}
};

}  // namespace atelier
