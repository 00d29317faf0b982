#pragma once
// The user's model library, in place: the checkpoints, LoRA / LyCORIS networks, embeddings, VAEs
// and upscalers under its roots (A1111 and ComfyUI installs or Atelier's own folder,
// library_roots.h), found by name, alias, hash or path as A1111 finds them.
//
// Scans read file headers only and are incremental: a file whose size and modification time are
// unchanged keeps what the previous scan learnt. Hashes are computed on request only (hashing GBs
// takes minutes) and remembered in the ModelHashCache. Every member may be called from any thread;
// scan() and the hashing calls belong on a worker thread, never the UI thread. Lookups see the
// previous scan until a scan completes.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gallery/model_hash_cache.h"
#include "core/io/model_hashes.h"
#include "core/library/library_roots.h"
#include "core/library/model_inspection.h"
#include "core/library/model_kind.h"

namespace atelier {

struct LibraryEntry {
  ModelKind kind = ModelKind::Checkpoint;
  std::string name;           // relative to its kind folder, '/'-separated, no extension: "styles/ink"
  std::string stem;           // the file name without extension: "ink" (A1111 names LoRAs, embeddings so)
  std::string file_name;      // "ink.safetensors" (A1111 names VAEs so)
  std::string relative_path;  // "styles/ink.safetensors" (A1111 names checkpoints so)
  std::filesystem::path path;  // absolute: the file, or the folder of a diffusers checkpoint
  std::filesystem::path root;  // the library root it was found under
  bool diffusers_folder = false;

  ModelFamily family = ModelFamily::Unknown;
  std::string alias;        // networks: the ss_output_name metadata, A1111's second name for it
  std::string description;  // checkpoints: "SD1.x (epsilon)"
  ImageSize default_size{512, 512};  // checkpoints: their family's
  std::string problem;      // why the header cannot be read or Atelier cannot run it; empty when fine
  std::optional<ModelHashes> hashes;  // once known (remembered or computed); never for folders

  std::uintmax_t size = 0;  // what the incremental scan compares (a diffusers folder's model_index.json)
  std::int64_t mtime = 0;
};

struct ScanStats {
  int added = 0;
  int changed = 0;  // read again: size or time differ
  int removed = 0;
  int unchanged = 0;  // kept without reading

  friend bool operator==(const ScanStats&, const ScanStats&) = default;
};

class ModelLibrary {
 public:
  // Opens no file until scan(). `hash_cache` is where hashes are remembered.
  explicit ModelLibrary(std::vector<std::filesystem::path> roots,
                        std::filesystem::path hash_cache = ModelHashCache::default_file());
  ModelLibrary(const ModelLibrary&) = delete;
  ModelLibrary& operator=(const ModelLibrary&) = delete;

  // Takes effect at the next scan().
  void set_roots(std::vector<std::filesystem::path> roots);
  std::vector<std::filesystem::path> root_paths() const;

  // Walks the roots and replaces the entries (one scan at a time; lookups meanwhile see the old
  // ones). Unreadable folders and files are reported by roots()[i].problems and entry.problem.
  ScanStats scan();

  // As of the last scan: the roots with their layouts and folders, and the entries in lookup order
  // (root by root, folder by folder, names sorted). The same file found twice is listed once.
  std::vector<LibraryRoot> roots() const;
  std::vector<LibraryEntry> entries() const;
  std::vector<LibraryEntry> entries(ModelKind kind) const;  // kind_matches(kind, entry.kind)

  // By name as A1111 looks names up, case-sensitive: `name` (relative, no extension) or
  // `relative_path` first, then `stem` or `file_name`, then a network's alias. The first entry in
  // lookup order wins.
  std::optional<LibraryEntry> find(ModelKind kind, std::string_view name) const;

  // By hash (hex, any case): AutoV2 (10 digits) or any longer prefix of the SHA-256 up to the whole;
  // for checkpoints A1111's old 8-digit model hash; for networks the addnet hash (12 digits or
  // whole). Remembered hashes are tried first, then files are hashed (slow) until one matches.
  std::optional<LibraryEntry> find_by_hash(ModelKind kind, std::string_view hash);

  // A file or folder path (the library's entry when it holds it, else the file as it is); a name
  // (find()); A1111's "name [hash]" titles; a hash (find_by_hash()). nullopt when nothing matches.
  std::optional<LibraryEntry> resolve(ModelKind kind, std::string_view query);

  // resolve(), or InvalidArgument naming the query, the kind and the roots searched.
  LibraryEntry require(ModelKind kind, std::string_view query);

  // The entry's hashes, computed (then remembered) when not yet known. Throws Error naming the
  // file when it cannot be read, InvalidArgument for a diffusers folder (A1111 has no hash for one).
  ModelHashes hashes(const LibraryEntry& entry);

  // resolve() as a ModelResolver for generation code (e.g. `<lora:NAME:...>` in a prompt). It
  // refers to this library, which must outlive it.
  ModelResolver resolver();

 private:
  std::vector<LibraryEntry> snapshot_of(ModelKind kind) const;
  void remember_hashes(const std::filesystem::path& path, const ModelHashes& hashes);

  ModelHashCache hash_cache_;
  std::mutex scan_mutex_;  // one scan at a time
  mutable std::mutex mutex_;  // guards what follows
  std::vector<std::filesystem::path> root_paths_;
  std::vector<LibraryRoot> roots_;
  std::vector<LibraryEntry> entries_;
};

}  // namespace atelier
