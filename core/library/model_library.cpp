#include "core/library/model_library.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "core/error.h"
#include "core/io/sha256.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// The model file extensions A1111 and ComfyUI list (ComfyUI's supported_pt_extensions less .pkl, .sft).
bool is_model_file(const fs::path& path) {
  static const std::set<std::string> extensions{".safetensors", ".ckpt", ".pt", ".pth", ".bin"};
  return extensions.count(lowercase(path.extension().string())) > 0;
}

// A1111 keeps VAEs beside checkpoints as NAME.vae.pt / .vae.ckpt / .vae.safetensors.
bool is_vae_beside_checkpoints(const fs::path& path) { return lowercase(path.stem().extension().string()) == ".vae"; }

struct Candidate {
  ModelKind kind;
  fs::path path;
  fs::path relative;  // to its kind folder
  bool folder = false;  // a diffusers checkpoint
};

// The model files (and diffusers folders) of `folder`, depth first, names sorted. Hidden entries
// are skipped; folder links are followed once each.
void walk(const KindFolder& folder, std::vector<Candidate>& found, std::vector<std::string>& problems) {
  std::set<fs::path> visited;
  std::function<void(const fs::path&, const fs::path&)> visit = [&](const fs::path& dir, const fs::path& relative) {
    std::error_code error;
    if (!visited.insert(fs::weakly_canonical(dir, error)).second) return;
    std::vector<fs::path> children;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, error), end; !error && it != end;
         it.increment(error))
      children.push_back(it->path());
    if (error) problems.push_back("cannot list " + dir.string() + ": " + error.message());
    std::sort(children.begin(), children.end());
    for (const auto& child : children) {
      const std::string name = child.filename().string();
      if (name.starts_with(".")) continue;
      std::error_code ignored;
      if (fs::is_directory(child, ignored)) {
        if (folder.kind == ModelKind::Checkpoint && fs::is_regular_file(child / "model_index.json", ignored))
          found.push_back({ModelKind::Checkpoint, child, relative / name, true});
        else if (folder.recursive)
          visit(child, relative / name);
      } else if (fs::is_regular_file(child, ignored) && is_model_file(child)) {
        const bool vae = folder.kind == ModelKind::Checkpoint && is_vae_beside_checkpoints(child);
        found.push_back({vae ? ModelKind::Vae : folder.kind, child, relative / name, false});
      }
    }
  };
  visit(folder.path, {});
}

void set_names(LibraryEntry& entry, const fs::path& relative, bool folder) {
  entry.relative_path = relative.generic_string();
  entry.file_name = relative.filename().string();
  entry.stem = folder ? entry.file_name : relative.stem().string();
  entry.name = folder ? entry.relative_path : (relative.parent_path() / relative.stem()).generic_string();
}

// Size and time of the file, or of a diffusers folder's model_index.json. False when it vanished.
bool stat_entry(LibraryEntry& entry) {
  const fs::path file = entry.diffusers_folder ? entry.path / "model_index.json" : entry.path;
  std::error_code error;
  entry.size = fs::file_size(file, error);
  if (!error) entry.mtime = fs::last_write_time(file, error).time_since_epoch().count();
  return !error;
}

void set_facts(LibraryEntry& entry, ModelFacts facts) {
  entry.kind = facts.kind;
  entry.family = facts.family;
  entry.alias = std::move(facts.alias);
  entry.description = std::move(facts.description);
  entry.default_size = facts.default_size;
  entry.problem = std::move(facts.problem);
}

void keep_facts(LibraryEntry& entry, const LibraryEntry& previous) {
  entry.kind = previous.kind;
  entry.family = previous.family;
  entry.alias = previous.alias;
  entry.description = previous.description;
  entry.default_size = previous.default_size;
  entry.problem = previous.problem;
  entry.hashes = previous.hashes;
}

bool hash_matches(ModelKind kind, const std::string& hash, const ModelHashes& hashes) {
  if (hash.size() >= 10 && hashes.sha256.starts_with(hash)) return true;
  if (is_network(kind) && hash.size() >= 8 && !hashes.addnet.empty() && hashes.addnet.starts_with(hash)) return true;
  return kind == ModelKind::Checkpoint && hash.size() == 8 && hashes.model_hash == hash;
}

}  // namespace

ModelLibrary::ModelLibrary(std::vector<fs::path> roots, fs::path hash_cache)
    : hash_cache_(std::move(hash_cache)), root_paths_(std::move(roots)) {}

void ModelLibrary::set_roots(std::vector<fs::path> roots) {
  std::lock_guard lock(mutex_);
  root_paths_ = std::move(roots);
}

std::vector<fs::path> ModelLibrary::root_paths() const {
  std::lock_guard lock(mutex_);
  return root_paths_;
}

ScanStats ModelLibrary::scan() {
  std::lock_guard scanning(scan_mutex_);
  std::map<fs::path, LibraryEntry> previous;
  for (auto& entry : entries()) previous.emplace(entry.path, std::move(entry));

  ScanStats stats;
  std::vector<LibraryRoot> roots;
  std::vector<LibraryEntry> entries;
  std::set<fs::path> seen;  // canonical paths: a file reached twice is listed once
  std::set<fs::path> seen_roots;
  for (const auto& root_path : root_paths()) {
    fs::path absolute = fs::absolute(root_path).lexically_normal();
    if (!absolute.has_filename()) absolute = absolute.parent_path();  // "models/" is "models"
    if (!seen_roots.insert(absolute).second) continue;
    LibraryRoot root = describe_root(absolute);
    std::vector<Candidate> candidates;
    for (const auto& folder : root.folders) walk(folder, candidates, root.problems);
    for (const auto& candidate : candidates) {
      std::error_code ignored;
      if (!seen.insert(fs::weakly_canonical(candidate.path, ignored)).second) continue;
      LibraryEntry entry;
      entry.kind = candidate.kind;
      entry.path = candidate.path;
      entry.root = root.path;
      entry.diffusers_folder = candidate.folder;
      set_names(entry, candidate.relative, candidate.folder);
      if (!stat_entry(entry)) continue;
      const auto old = previous.find(entry.path);
      const bool same_file = old != previous.end() && old->second.size == entry.size && old->second.mtime == entry.mtime &&
                             kind_matches(candidate.kind, old->second.kind);
      if (same_file) {
        keep_facts(entry, old->second);
        ++stats.unchanged;
      } else {
        set_facts(entry, inspect_model_file(candidate.kind, entry.path));
        ++(old == previous.end() ? stats.added : stats.changed);
      }
      if (!entry.hashes && !entry.diffusers_folder) {
        try {
          entry.hashes = hash_cache_.cached(entry.path);
        } catch (const Error&) {
          // vanished since the walk: the next scan drops it
        }
      }
      entries.push_back(std::move(entry));
    }
    roots.push_back(std::move(root));
  }
  std::set<fs::path> present;
  for (const auto& entry : entries) present.insert(entry.path);
  for (const auto& [path, entry] : previous) stats.removed += present.count(path) ? 0 : 1;

  std::lock_guard lock(mutex_);
  roots_ = std::move(roots);
  entries_ = std::move(entries);
  return stats;
}

std::vector<LibraryRoot> ModelLibrary::roots() const {
  std::lock_guard lock(mutex_);
  return roots_;
}

std::vector<LibraryEntry> ModelLibrary::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

std::vector<LibraryEntry> ModelLibrary::entries(ModelKind kind) const { return snapshot_of(kind); }

std::vector<LibraryEntry> ModelLibrary::snapshot_of(ModelKind kind) const {
  std::lock_guard lock(mutex_);
  std::vector<LibraryEntry> matching;
  std::copy_if(entries_.begin(), entries_.end(), std::back_inserter(matching),
               [&](const LibraryEntry& e) { return kind_matches(kind, e.kind); });
  return matching;
}

std::optional<LibraryEntry> ModelLibrary::find(ModelKind kind, std::string_view name) const {
  if (name.empty()) return std::nullopt;
  const std::function<bool(const LibraryEntry&)> passes[] = {
      [&](const LibraryEntry& e) { return e.name == name || e.relative_path == name; },
      [&](const LibraryEntry& e) { return e.stem == name || e.file_name == name; },
      [&](const LibraryEntry& e) { return !e.alias.empty() && e.alias == name; },
  };
  std::lock_guard lock(mutex_);
  for (const auto& pass : passes)
    for (const auto& entry : entries_)
      if (kind_matches(kind, entry.kind) && pass(entry)) return entry;
  return std::nullopt;
}

std::optional<LibraryEntry> ModelLibrary::find_by_hash(ModelKind kind, std::string_view hash) {
  const std::string wanted = lowercase(hash);
  if (wanted.size() < 8 || !is_hex(wanted)) return std::nullopt;
  auto candidates = snapshot_of(kind);
  // A file removed since the last scan is not found, whatever hash it had.
  std::erase_if(candidates, [](const LibraryEntry& e) {
    std::error_code missing;
    return e.diffusers_folder || !fs::is_regular_file(e.path, missing);
  });
  for (const auto& entry : candidates)
    if (entry.hashes && hash_matches(kind, wanted, *entry.hashes)) return entry;
  // A1111's old hash reads 64 KiB: no need to hash whole checkpoints for it.
  const bool old_model_hash = kind == ModelKind::Checkpoint && wanted.size() == 8;
  for (auto& entry : candidates) {
    if (entry.hashes) continue;
    try {
      if (old_model_hash) {
        if (a1111_model_hash(entry.path) == wanted) return entry;
        continue;
      }
      entry.hashes = hashes(entry);
    } catch (const Error&) {
      continue;  // unreadable: it cannot be the one
    }
    if (hash_matches(kind, wanted, *entry.hashes)) return entry;
  }
  return std::nullopt;
}

std::optional<LibraryEntry> ModelLibrary::resolve(ModelKind kind, std::string_view query) {
  if (query.empty()) return std::nullopt;
  const fs::path path(query);
  std::error_code ignored;
  if (fs::exists(path, ignored)) {
    const fs::path canonical = fs::weakly_canonical(path, ignored);
    for (const auto& entry : snapshot_of(kind))
      if (fs::weakly_canonical(entry.path, ignored) == canonical) return entry;
    LibraryEntry entry;
    entry.path = fs::absolute(path).lexically_normal();
    entry.diffusers_folder = fs::is_directory(path, ignored);
    set_names(entry, entry.path.filename(), entry.diffusers_folder);
    set_facts(entry, inspect_model_file(kind, entry.path));
    stat_entry(entry);
    return entry;
  }
  if (auto entry = find(kind, query)) return entry;
  // A1111's titles: "name [hash]".
  if (const auto open = query.rfind(" ["); open != std::string_view::npos && query.ends_with("]")) {
    const std::string_view name = query.substr(0, open), hash = query.substr(open + 2, query.size() - open - 3);
    if (auto entry = find(kind, name)) return entry;
    if (auto entry = find_by_hash(kind, hash)) return entry;
  }
  if (is_hex(query)) return find_by_hash(kind, query);
  return std::nullopt;
}

LibraryEntry ModelLibrary::require(ModelKind kind, std::string_view query) {
  if (auto entry = resolve(kind, query)) return *entry;
  std::string roots;
  for (const auto& root : root_paths()) roots += (roots.empty() ? "" : ", ") + root.string();
  throw InvalidArgument("no " + std::string(kind_name(kind)) + " '" + std::string(query) +
                        "' in the model library (roots: " + (roots.empty() ? "none" : roots) +
                        "); give a file path, a name or a hash");
}

ModelHashes ModelLibrary::hashes(const LibraryEntry& entry) {
  if (entry.diffusers_folder)
    throw InvalidArgument(entry.path.string() + " is a diffusers folder: it has no file hash");
  ModelHashes hashes = hash_cache_.hashes(entry.path);
  remember_hashes(entry.path, hashes);
  return hashes;
}

void ModelLibrary::remember_hashes(const fs::path& path, const ModelHashes& hashes) {
  std::lock_guard lock(mutex_);
  for (auto& entry : entries_)
    if (entry.path == path) entry.hashes = hashes;
}

ModelResolver ModelLibrary::resolver() {
  return [this](ModelKind kind, std::string_view name) -> std::optional<fs::path> {
    auto entry = resolve(kind, name);
    if (!entry) return std::nullopt;
    return entry->path;
  };
}

}  // namespace atelier
