#include "core/gallery/model_hash_cache.h"

#include <cstdlib>
#include <fstream>

#include "core/error.h"
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

ModelHashCache::Stat ModelHashCache::stat(const std::filesystem::path& model) {
  std::error_code error;
  Stat stat;
  stat.key = std::filesystem::absolute(model).string();
  stat.size = static_cast<std::int64_t>(std::filesystem::file_size(model, error));
  if (!error) stat.mtime = std::filesystem::last_write_time(model, error).time_since_epoch().count();
  if (error) throw Error("cannot read " + model.string() + ": " + error.message());
  return stat;
}

const nlohmann::json* ModelHashCache::unchanged_entry(const Stat& stat) const {
  const auto entry = entries_.find(stat.key);
  if (entry == entries_.end() || !entry->is_object()) return nullptr;
  if (entry->value("size", std::int64_t{-1}) != stat.size || entry->value("mtime", std::int64_t{-1}) != stat.mtime)
    return nullptr;
  return &*entry;
}

void ModelHashCache::remember(const Stat& stat, nlohmann::json entry) {
  entry["size"] = stat.size;
  entry["mtime"] = stat.mtime;
  entries_[stat.key] = std::move(entry);
  const std::string text = entries_.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::filesystem::create_directories(file_.parent_path());
  write_file_atomically(file_, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string ModelHashCache::autov2(const std::filesystem::path& model) {
  if (std::filesystem::is_directory(model)) return {};  // a diffusers folder: no one file to hash
  const Stat file = stat(model);
  {
    std::lock_guard lock(mutex_);
    if (const auto* entry = unchanged_entry(file); entry && entry->contains("hash"))
      return entry->value("hash", std::string());
  }
  const std::string hash = autov2_hash(model);  // outside the lock: it takes seconds
  std::lock_guard lock(mutex_);
  remember(file, {{"hash", hash}});
  return hash;
}

std::optional<ModelHashes> ModelHashCache::cached(const std::filesystem::path& model) {
  const Stat file = stat(model);
  std::lock_guard lock(mutex_);
  const auto* entry = unchanged_entry(file);
  if (!entry || !entry->contains("sha256") || !entry->contains("addnet") || !entry->contains("model_hash"))
    return std::nullopt;
  return ModelHashes{entry->value("sha256", std::string()), entry->value("addnet", std::string()),
                     entry->value("model_hash", std::string())};
}

ModelHashes ModelHashCache::hashes(const std::filesystem::path& model) {
  if (auto remembered = cached(model)) return *remembered;
  const Stat file = stat(model);
  const ModelHashes hashes = hash_model_file(model);  // outside the lock: it takes seconds
  std::lock_guard lock(mutex_);
  remember(file, {{"hash", hashes.autov2()},
                  {"sha256", hashes.sha256},
                  {"addnet", hashes.addnet},
                  {"model_hash", hashes.model_hash}});
  return hashes;
}

}  // namespace atelier
