#pragma once
// Model hashes, computed once per file and remembered by path, size and time in a JSON file,
// since hashing a multi-GB checkpoint takes seconds. Call it from a worker thread, never the UI
// thread; calls may come from several threads.
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/io/model_hashes.h"

namespace atelier {

class ModelHashCache {
 public:
  // Reads `file` when it exists; a damaged one is ignored (the hashes are computed again).
  explicit ModelHashCache(std::filesystem::path file = default_file());

  // $XDG_CACHE_HOME/atelier/model-hashes.json, or ~/.cache/atelier/model-hashes.json.
  static std::filesystem::path default_file();

  // The first 10 hex digits of the model's SHA-256, from the cache when the file is unchanged;
  // empty for a diffusers folder. Throws Error naming the model when it cannot be read.
  std::string autov2(const std::filesystem::path& model);

  // All of A1111's hashes of the model (full SHA-256, addnet, old model hash), from the cache
  // when the file is unchanged, else computed (one read of the file) and remembered.
  ModelHashes hashes(const std::filesystem::path& model);

  // The remembered hashes of the unchanged file, without reading it; nullopt when hashes() would
  // have to read it (never hashed, changed since, or only its AutoV2 is remembered).
  std::optional<ModelHashes> cached(const std::filesystem::path& model);

 private:
  struct Stat {
    std::string key;  // the absolute path
    std::int64_t size = 0;
    std::int64_t mtime = 0;
  };
  static Stat stat(const std::filesystem::path& model);
  // The entry of an unchanged file, or nullptr; call with mutex_ held.
  const nlohmann::json* unchanged_entry(const Stat& stat) const;
  void remember(const Stat& stat, nlohmann::json entry);

  std::filesystem::path file_;
  std::mutex mutex_;
  // path -> {"size", "mtime", "hash" (AutoV2), and once fully hashed "sha256", "addnet", "model_hash"}
  nlohmann::json entries_;
};

}  // namespace atelier
