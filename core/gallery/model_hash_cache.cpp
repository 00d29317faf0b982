#include "core/gallery/model_hash_cache.h"

#include <cstdlib>
#include <fstream>

#include "core/io/atomic_file.h"
#include "core/io/sha256.h"

namespace atelier {

std::filesystem::path ModelHashCache::default_file() {
  std::filesystem::path cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) cache = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home) cache = std::filesystem::path(home) / ".cache";
  else cache = std::filesystem::temp_directory_path();
  return cache / "atelier" / "model-hashes.json";
}

ModelHashCache::ModelHashCache(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  entries_ = nlohmann::json::parse(in, nullptr, false);
  if (!entries_.is_object()) entries_ = nlohmann::json::object();
}

std::string ModelHashCache::autov2(const std::filesystem::path& model) {
  const std::string key = std::filesystem::absolute(model).string();
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(model));
  const std::int64_t mtime = std::filesystem::last_write_time(model).time_since_epoch().count();
  {
    std::lock_guard lock(mutex_);
    const auto entry = entries_.find(key);
    if (entry != entries_.end() && entry->value("size", -1LL) == size && entry->value("mtime", -1LL) == mtime) {
      return entry->value("hash", std::string());
    }
  }
  const std::string hash = autov2_hash(model);  // outside the lock: it takes seconds
  std::lock_guard lock(mutex_);
  entries_[key] = {{"size", size}, {"mtime", mtime}, {"hash", hash}};
  const std::string text = entries_.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::filesystem::create_directories(file_.parent_path());
  write_file_atomically(file_, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return hash;
}

}  // namespace atelier
