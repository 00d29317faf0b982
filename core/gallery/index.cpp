#include "core/gallery/index.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <system_error>

#include "core/error.h"
#include "core/gallery/image_metadata.h"
#include "core/io/atomic_file.h"
#include "core/io/png.h"
#include "core/text/unicode_text.h"

namespace atelier {
namespace {

constexpr int kSchemaVersion = 2;
constexpr int kBatchSize = 256;  // files committed together while scanning

constexpr const char* kSchema = R"(
  CREATE TABLE images (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, width INTEGER, height INTEGER, source TEXT, prompt TEXT, negative_prompt TEXT,
    model TEXT, model_hash TEXT, sampler TEXT, schedule TEXT, steps INTEGER, cfg_scale REAL, seed INTEGER,
    favourite INTEGER NOT NULL DEFAULT 0);
  -- One index a sort order (see order_by), then the filters' columns, which the facets count.
  CREATE INDEX images_by_time ON images (mtime_ns DESC, id DESC);
  CREATE INDEX images_by_name ON images (file_name COLLATE NOCASE, id);
  CREATE INDEX images_by_area ON images (width * height DESC, id DESC);
  CREATE INDEX images_by_model ON images (model);
  CREATE INDEX images_by_sampler ON images (sampler);
  CREATE INDEX images_by_size ON images (width, height);
  CREATE VIRTUAL TABLE images_text USING fts5(prompt, negative_prompt, content='images', content_rowid='id');
  CREATE TRIGGER images_text_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_text (rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
  END;
  CREATE TRIGGER images_text_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_text (images_text, rowid, prompt, negative_prompt)
      VALUES ('delete', old.id, old.prompt, old.negative_prompt);
  END;
  CREATE TRIGGER images_text_update AFTER UPDATE OF prompt, negative_prompt ON images BEGIN
    INSERT INTO images_text (images_text, rowid, prompt, negative_prompt)
      VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    INSERT INTO images_text (rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
  END;
)";

constexpr const char* kColumns =
    "images.id, path, size, mtime_ns, width, height, source, images.prompt, images.negative_prompt, model, "
    "model_hash, sampler, schedule, steps, cfg_scale, seed, favourite";

class DatabaseError : public Error {
 public:
  using Error::Error;
};

void check(sqlite3* db, int code, const char* what) {
  if (code != SQLITE_OK && code != SQLITE_ROW && code != SQLITE_DONE) {
    throw DatabaseError(std::string("gallery index: ") + what + ": " + sqlite3_errmsg(db));
  }
}

void execute(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw DatabaseError("gallery index: " + reason);
  }
}

// One prepared statement; values are always bound, never spliced into SQL.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr), "prepare");
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& text) {
    check(db_, sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT),
          "bind");
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    check(db_, sqlite3_bind_int64(statement_, index, value), "bind");
    return *this;
  }
  Statement& bind(int index, double value) {
    check(db_, sqlite3_bind_double(statement_, index, value), "bind");
    return *this;
  }
  // True while there is a row.
  bool step() {
    const int code = sqlite3_step(statement_);
    check(db_, code, "step");
    return code == SQLITE_ROW;
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return data ? std::string(data, sqlite3_column_bytes(statement_, column)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { execute(db, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    execute(db_, "COMMIT");
    db_ = nullptr;
  }

 private:
  sqlite3* db_;
};

// Width and height from the IHDR chunk, which read_png_texts has already checked.
std::pair<int, int> png_dimensions(const std::filesystem::path& path) {
  std::array<unsigned char, 24> header{};
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(header.data()), header.size());
  auto big_endian = [&](int at) {
    return static_cast<int>((header[at] << 24) | (header[at + 1] << 16) | (header[at + 2] << 8) | header[at + 3]);
  };
  return {big_endian(16), big_endian(20)};
}

// Unix time, so callers can compare it with the system clock.
std::int64_t mtime_ns(const std::filesystem::path& path) {
  const auto unix_time = std::chrono::file_clock::to_sys(std::filesystem::last_write_time(path));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(unix_time.time_since_epoch()).count();
}

// FTS5 query syntax from what a person typed: every word quoted, so quotes, parentheses and
// operators in it are searched for, not interpreted.
std::string match_expression(const std::string& text) {
  std::string expression;
  std::size_t pos = 0;
  while ((pos = text.find_first_not_of(" \t\n", pos)) != std::string::npos) {
    const std::size_t end = std::min(text.find_first_of(" \t\n", pos), text.size());
    std::string word;
    for (char c : text.substr(pos, end - pos)) word += c == '"' ? std::string("\"\"") : std::string(1, c);
    expression += (expression.empty() ? "\"" : " \"") + word + "\"";
    pos = end;
  }
  return expression;
}

// SQLite keeps what it is given; FTS5 and readers expect UTF-8.
std::string valid_utf8(const std::string& text) { return unicode::encode_utf8(unicode::decode_utf8(text)); }

struct Filter {
  std::string where;
  std::vector<std::string> texts;  // bound in order, then the integers
  std::vector<std::int64_t> integers;
};

Filter filter_for(const GalleryQuery& q) {
  Filter filter;
  std::string where = " WHERE 1";
  if (!q.text.empty()) where += " AND images.id IN (SELECT rowid FROM images_text WHERE images_text MATCH ?)";
  if (!q.text.empty()) filter.texts.push_back(match_expression(valid_utf8(q.text)));
  if (q.model) where += " AND model = ?", filter.texts.push_back(*q.model);
  if (q.sampler) where += " AND sampler = ?", filter.texts.push_back(*q.sampler);
  if (q.from_ns) where += " AND mtime_ns >= ?", filter.integers.push_back(*q.from_ns);
  if (q.to_ns) where += " AND mtime_ns <= ?", filter.integers.push_back(*q.to_ns);
  if (q.width) where += " AND width = ?", filter.integers.push_back(*q.width);
  if (q.height) where += " AND height = ?", filter.integers.push_back(*q.height);
  if (q.favourites_only) where += " AND favourite = 1";
  filter.where = where;
  return filter;
}

int bind_filter(Statement& statement, const Filter& filter) {
  int index = 1;
  for (const auto& text : filter.texts) statement.bind(index++, text);
  for (auto value : filter.integers) statement.bind(index++, value);
  return index;
}

IndexedImage row_to_image(const Statement& s) {
  IndexedImage image;
  image.id = s.integer(0);
  image.path = s.text(1);
  image.size = s.integer(2);
  image.mtime_ns = s.integer(3);
  image.width = static_cast<int>(s.integer(4));
  image.height = static_cast<int>(s.integer(5));
  image.source = s.text(6);
  image.prompt = s.text(7);
  image.negative_prompt = s.text(8);
  image.model = s.text(9);
  image.model_hash = s.text(10);
  image.sampler = s.text(11);
  image.schedule = s.text(12);
  image.steps = static_cast<int>(s.integer(13));
  image.cfg_scale = s.real(14);
  image.seed = s.integer(15);
  image.favourite = s.integer(16) != 0;
  return image;
}

// Each sort walks one of the schema's indexes, so a page deep into 10,000 rows needs no sorting.
const char* order_by(GallerySort sort) {
  switch (sort) {
    case GallerySort::newest_first: return " ORDER BY mtime_ns DESC, images.id DESC";
    case GallerySort::oldest_first: return " ORDER BY mtime_ns, images.id";
    case GallerySort::file_name: return " ORDER BY file_name COLLATE NOCASE, images.id";
    case GallerySort::largest_first: return " ORDER BY width * height DESC, images.id DESC";
  }
  throw InvalidArgument("unknown gallery sort order");
}

// The values of `value` (SQL over the indexed columns `group`; never user input), with counts.
std::vector<FacetValue> facet(sqlite3* db, const std::string& value, const std::string& group) {
  std::vector<FacetValue> values;
  for (Statement rows(db, "SELECT " + value + " AS value, count(*) AS images FROM images GROUP BY " + group +
                              " HAVING value <> '' ORDER BY images DESC, value");
       rows.step();)
    values.push_back({rows.text(0), rows.integer(1)});
  return values;
}

bool is_png(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".png";
}

}  // namespace

GalleryIndex::GalleryIndex(std::filesystem::path root, std::filesystem::path database)
    : root_(std::move(root)), database_(std::move(database)) {
  try {
    open();
  } catch (const DatabaseError&) {
    // Garbage, a half-written file or another schema: the PNGs still hold everything.
    sqlite3_close(db_);
    db_ = nullptr;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(database_.string() + suffix);
    rebuilt_ = true;
    open();
  }
}

GalleryIndex::~GalleryIndex() { sqlite3_close(db_); }

std::filesystem::path GalleryIndex::default_database(const std::filesystem::path& root) {
  return root / ".atelier" / "index.sqlite";
}

void GalleryIndex::open() {
  std::filesystem::create_directories(database_.parent_path());
  check(db_, sqlite3_open(database_.c_str(), &db_), "open");
  sqlite3_busy_timeout(db_, 5000);
  execute(db_, "PRAGMA journal_mode = WAL");
  execute(db_, "PRAGMA synchronous = NORMAL");
  Statement version(db_, "PRAGMA user_version");
  version.step();
  const std::int64_t found = version.integer(0);
  if (found == 0) {
    Transaction transaction(db_);
    execute(db_, kSchema);
    execute(db_, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    transaction.commit();
  } else if (found != kSchemaVersion) {
    throw DatabaseError("gallery index: schema version " + std::to_string(found));
  }
  Statement integrity(db_, "PRAGMA quick_check");
  if (!integrity.step() || integrity.text(0) != "ok") throw DatabaseError("gallery index: " + integrity.text(0));
}

ScanReport GalleryIndex::scan() {
  ScanReport report;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> known;  // path -> size, mtime
  for (Statement rows(db_, "SELECT path, size, mtime_ns FROM images"); rows.step();) {
    known[rows.text(0)] = {rows.integer(1), rows.integer(2)};
  }

  std::optional<Transaction> batch;
  int in_batch = 0;
  auto count_one = [&] {
    if (++in_batch < kBatchSize) return;
    batch->commit();
    batch.emplace(db_);
    in_batch = 0;
  };
  batch.emplace(db_);
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root_, std::filesystem::directory_options::skip_permission_denied, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    const auto& entry = *it;
    if (entry.path().filename().string().starts_with(".")) {
      if (entry.is_directory()) it.disable_recursion_pending();
      std::error_code removal;
      if (entry.is_regular_file() && is_abandoned_temporary(entry.path()) && std::filesystem::remove(entry.path(), removal))
        ++report.abandoned_removed;
      continue;
    }
    if (!entry.is_regular_file() || !is_png(entry.path())) continue;
    const std::string path = entry.path().string();
    const auto size = static_cast<std::int64_t>(entry.file_size());
    const std::int64_t time = mtime_ns(entry.path());
    const auto previous = known.find(path);
    if (previous != known.end()) {
      const bool same = previous->second == std::pair{size, time};
      known.erase(previous);
      if (same) {
        ++report.unchanged;
        continue;
      }
      ++report.changed;
    } else {
      ++report.added;
    }
    add_or_update(entry.path(), size, time, report);
    count_one();
  }
  // After a failed walk (folder unmounted, unreadable), unseen files may well still exist.
  if (error) known.clear();
  for (const auto& [path, stat] : known) {
    Statement(db_, "DELETE FROM images WHERE path = ?").bind(1, path).step();
    ++report.removed;
    count_one();
  }
  batch->commit();
  restore_favourites();
  return report;
}

void GalleryIndex::add_or_update(const std::filesystem::path& path, std::int64_t size, std::int64_t time,
                                 ScanReport& report) {
  ImageMetadata metadata;
  try {
    metadata = parse_image_metadata(read_png_texts(path));
  } catch (const Error& e) {
    // Not an image we can read: no row, so it is found again (and reported) once fixed.
    report.skipped.emplace_back(path, e.what());
    Statement(db_, "DELETE FROM images WHERE path = ?").bind(1, path.string()).step();
    return;
  }
  const auto [width, height] = png_dimensions(path);
  const GenerationParams& p = metadata.params;
  Statement upsert(db_,
                   "INSERT INTO images (path, size, mtime_ns, width, height, source, prompt, negative_prompt, model, "
                   "model_hash, sampler, schedule, steps, cfg_scale, seed, file_name) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
                   "width = excluded.width, height = excluded.height, source = excluded.source, "
                   "prompt = excluded.prompt, negative_prompt = excluded.negative_prompt, model = excluded.model, "
                   "model_hash = excluded.model_hash, sampler = excluded.sampler, schedule = excluded.schedule, "
                   "steps = excluded.steps, cfg_scale = excluded.cfg_scale, seed = excluded.seed");
  upsert.bind(1, path.string()).bind(2, size).bind(3, time);
  upsert.bind(4, std::int64_t{width}).bind(5, std::int64_t{height}).bind(6, metadata.source);
  upsert.bind(7, valid_utf8(p.prompt)).bind(8, valid_utf8(p.negative_prompt));
  upsert.bind(9, valid_utf8(p.model.stem().string())).bind(10, valid_utf8(p.model_hash));
  upsert.bind(11, valid_utf8(p.sampler)).bind(12, valid_utf8(p.schedule));
  upsert.bind(13, std::int64_t{p.steps}).bind(14, p.cfg_scale).bind(15, p.seed);
  upsert.bind(16, valid_utf8(path.filename().string()));
  upsert.step();
}

std::vector<IndexedImage> GalleryIndex::query(const GalleryQuery& q) const {
  const Filter filter = filter_for(q);
  Statement statement(db_, std::string("SELECT ") + kColumns + " FROM images" + filter.where +
                               order_by(q.sort) + " LIMIT ? OFFSET ?");
  const int next = bind_filter(statement, filter);
  statement.bind(next, std::int64_t{q.limit}).bind(next + 1, std::int64_t{q.offset});
  std::vector<IndexedImage> images;
  while (statement.step()) images.push_back(row_to_image(statement));
  return images;
}

std::int64_t GalleryIndex::count(const GalleryQuery& q) const {
  const Filter filter = filter_for(q);
  Statement statement(db_, "SELECT count(*) FROM images" + filter.where);
  bind_filter(statement, filter);
  statement.step();
  return statement.integer(0);
}

GalleryFacets GalleryIndex::facets() const {
  return {facet(db_, "model", "model"), facet(db_, "sampler", "sampler"),
          facet(db_, "width || 'x' || height", "width, height")};
}

void GalleryIndex::set_favourite(std::int64_t id, bool favourite) {
  Statement(db_, "UPDATE images SET favourite = ? WHERE id = ?").bind(1, std::int64_t{favourite}).bind(2, id).step();
  save_favourites();
}

std::filesystem::path GalleryIndex::favourites_file() const { return root_ / ".atelier" / "favourites.txt"; }

void GalleryIndex::save_favourites() {
  std::string lines;
  for (Statement rows(db_, "SELECT path FROM images WHERE favourite = 1 ORDER BY path"); rows.step();)
    lines += std::filesystem::path(rows.text(0)).lexically_relative(root_).string() + "\n";
  std::filesystem::create_directories(favourites_file().parent_path());
  write_file_atomically(favourites_file(), {reinterpret_cast<const std::uint8_t*>(lines.data()), lines.size()});
}

void GalleryIndex::restore_favourites() {
  std::ifstream in(favourites_file());
  Transaction transaction(db_);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    Statement(db_, "UPDATE images SET favourite = 1 WHERE path = ?").bind(1, (root_ / line).string()).step();
  }
  transaction.commit();
}

TrashedImage GalleryIndex::move_to_trash(std::int64_t id) {
  Statement row(db_, "SELECT path, favourite FROM images WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) throw InvalidArgument("no image " + std::to_string(id) + " in the gallery index");
  TrashedImage trashed;
  trashed.original = row.text(0);
  trashed.favourite = row.integer(1) != 0;
  trashed.trashed = root_ / ".atelier" / "trash" / std::filesystem::relative(trashed.original, root_);
  std::filesystem::create_directories(trashed.trashed.parent_path());
  std::filesystem::rename(trashed.original, trashed.trashed);
  Statement(db_, "DELETE FROM images WHERE id = ?").bind(1, id).step();
  if (trashed.favourite) save_favourites();
  return trashed;
}

void GalleryIndex::restore(const TrashedImage& trashed) {
  std::filesystem::create_directories(trashed.original.parent_path());
  std::filesystem::rename(trashed.trashed, trashed.original);
  ScanReport ignored;
  add_or_update(trashed.original, static_cast<std::int64_t>(std::filesystem::file_size(trashed.original)),
                mtime_ns(trashed.original), ignored);
  Statement(db_, "UPDATE images SET favourite = ? WHERE path = ?")
      .bind(1, std::int64_t{trashed.favourite})
      .bind(2, trashed.original.string())
      .step();
  if (trashed.favourite) save_favourites();
}

}  // namespace atelier
