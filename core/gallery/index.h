#pragma once
// The gallery's SQLite index over an output folder: one row per PNG with its parameters as
// columns and FTS5 over the prompts. The PNGs are the data and the index a cache: a database
// that cannot be read is rebuilt from the folder.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace atelier {

struct IndexedImage {
  std::int64_t id = 0;
  std::filesystem::path path;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;  // file modification time, Unix time in nanoseconds
  int width = 0;              // of the pixels, from the PNG header
  int height = 0;
  std::string source;  // see ImageMetadata::source
  std::string prompt;
  std::string negative_prompt;
  std::string model;  // file name without extension, as A1111's "Model"
  std::string model_hash;
  std::string sampler;
  std::string schedule;
  int steps = 0;
  double cfg_scale = 0;
  std::int64_t seed = 0;
  bool favourite = false;
};

struct ScanReport {
  int added = 0;
  int changed = 0;
  int removed = 0;
  int unchanged = 0;
  int abandoned_removed = 0;  // temporaries of saves that were killed (is_abandoned_temporary)
  std::vector<std::pair<std::filesystem::path, std::string>> skipped;  // file, reason
};

// The order of a query's rows; ties go by id, so pages never overlap or skip.
enum class GallerySort { newest_first, oldest_first, file_name, largest_first };  // largest: width × height

struct GalleryQuery {
  std::string text;  // words all found in the prompt or negative prompt; empty: everything
  std::optional<std::string> model;
  std::optional<std::string> sampler;
  std::optional<std::int64_t> from_ns;  // modification time range (Unix ns), inclusive
  std::optional<std::int64_t> to_ns;
  std::optional<int> width;
  std::optional<int> height;
  bool favourites_only = false;
  GallerySort sort = GallerySort::newest_first;
  int offset = 0;
  int limit = 50;
};

// A value found in the index and how many images have it.
struct FacetValue {
  std::string value;
  std::int64_t count = 0;
  bool operator==(const FacetValue&) const = default;
};

// What the filters can choose from, most common first; images without a value are left out.
struct GalleryFacets {
  std::vector<FacetValue> models;
  std::vector<FacetValue> samplers;
  std::vector<FacetValue> sizes;  // "WIDTHxHEIGHT"
  bool operator==(const GalleryFacets&) const = default;
};

// An image moved to the trash folder, and where it came from, for undo.
struct TrashedImage {
  std::filesystem::path original;
  std::filesystem::path trashed;
  bool favourite = false;
};

class GalleryIndex {
 public:
  // The index of the images under `root`, kept in `database` (created if needed). A file there
  // that is not a readable index of this version is replaced by an empty one; the next scan
  // fills it.
  GalleryIndex(std::filesystem::path root, std::filesystem::path database);
  ~GalleryIndex();
  GalleryIndex(const GalleryIndex&) = delete;
  GalleryIndex& operator=(const GalleryIndex&) = delete;

  // The default place of the database for `root`: root/.atelier/index.sqlite.
  static std::filesystem::path default_database(const std::filesystem::path& root);

  // Brings the index up to date with the folder: new, changed (size or time) and removed PNGs.
  // Work is committed in batches, so an interrupted scan leaves a consistent index that the
  // next scan completes. Hidden folders (the trash, the thumbnails) are not scanned; hidden
  // temporaries that killed saves left behind are removed.
  ScanReport scan();

  std::vector<IndexedImage> query(const GalleryQuery& query) const;
  std::int64_t count(const GalleryQuery& query) const;
  // Over the whole index, whatever a query filters.
  GalleryFacets facets() const;

  // Kept in the database and in root/.atelier/favourites.txt, which survives a rebuild.
  void set_favourite(std::int64_t id, bool favourite);

  // Moves the image to root/.atelier/trash and drops its row; restore() puts both back.
  TrashedImage move_to_trash(std::int64_t id);
  void restore(const TrashedImage& trashed);

  // True when opening found a damaged (or older) database and started a new one.
  bool was_rebuilt() const { return rebuilt_; }

 private:
  void open();
  void add_or_update(const std::filesystem::path& path, std::int64_t size, std::int64_t mtime_ns, ScanReport& report);
  // Favourites also live in root/.atelier/favourites.txt (paths relative to the root), so a
  // rebuilt index gets them back: the database is only a cache.
  std::filesystem::path favourites_file() const;
  void save_favourites();
  void restore_favourites();

  std::filesystem::path root_;
  std::filesystem::path database_;
  sqlite3* db_ = nullptr;
  bool rebuilt_ = false;
};

}  // namespace atelier
