// The SQLite index over a folder of PNGs: scans, queries, favourites, trash, damage.
#include "core/gallery/index.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "core/gallery/image_output.h"
#include "core/io/png.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;
using namespace std::string_literals;

namespace atelier {
// For Catch's messages about facet lists.
std::ostream& operator<<(std::ostream& out, const FacetValue& facet) { return out << facet.value << " (" << facet.count << ")"; }
}  // namespace atelier

namespace {

GeneratedImage image_with(const std::string& prompt, const std::string& model = "/models/dreamshaper_8.safetensors") {
  GeneratedImage image;
  image.image = Image8{16, 8, std::vector<std::uint8_t>(16 * 8 * 3, 64)};
  image.params.prompt = prompt;
  image.params.negative_prompt = "blurry";
  image.params.model = model;
  image.params.seed = 42;
  return image;
}

void save(const std::filesystem::path& path, const std::string& prompt,
          const std::string& model = "/models/dreamshaper_8.safetensors") {
  std::filesystem::create_directories(path.parent_path());
  save_generated_image(path, image_with(prompt, model));
}

// An iTXt chunk whose first character (猫) is replaced by bytes that are not UTF-8, with a
// correct CRC: what a careless tool could write.
void write_with_invalid_utf8(const std::filesystem::path& path, const std::string& text) {
  auto png = encode_png(Image8{8, 8, std::vector<std::uint8_t>(192, 0)}, {{"parameters", text}});
  const std::string bytes(png.begin(), png.end());
  const std::size_t type = bytes.find("iTXt");
  const std::size_t length = (png[type - 4] << 24) | (png[type - 3] << 16) | (png[type - 2] << 8) | png[type - 1];
  const std::size_t cat = bytes.find("\xe7\x8c\xab", type);
  png[cat] = 0xff;
  png[cat + 1] = 0xfe;
  const auto crc = static_cast<std::uint32_t>(crc32(0, png.data() + type, static_cast<uInt>(length + 4)));
  for (int i = 0; i < 4; ++i) png[type + 4 + length + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), png.size());
}

// A `width` × `height` image made at `time`, its prompt the file's stem, so lists name it.
void save_sized(const std::filesystem::path& path, int width, int height, std::filesystem::file_time_type time) {
  GeneratedImage image = image_with(path.stem().string());
  image.image = Image8{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width * height * 3), 64)};
  std::filesystem::create_directories(path.parent_path());
  save_generated_image(path, image);
  std::filesystem::last_write_time(path, time);
}

std::vector<std::string> prompts(const std::vector<IndexedImage>& images) {
  std::vector<std::string> out;
  for (const auto& image : images) out.push_back(image.prompt);
  return out;
}

GalleryQuery search(const std::string& text) {
  GalleryQuery query;
  query.text = text;
  return query;
}

}  // namespace

TEST_CASE("a scan indexes the PNGs with their parameters, newest first", "[index]") {
  TempDir dir;
  save(dir / "2024-05-01/00000-42.png", "a red fox in the snow");
  save(dir / "2024-05-02/00001-42.png", "a lighthouse at dusk", "/models/sd-v1-5.safetensors");
  std::filesystem::last_write_time(dir / "2024-05-01/00000-42.png",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(24));
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  const ScanReport report = index.scan();
  CHECK(report.added == 2);
  CHECK(report.skipped.empty());

  const auto all = index.query({});
  REQUIRE(all.size() == 2);
  CHECK(all[0].prompt == "a lighthouse at dusk");  // newer file first
  CHECK(all[0].model == "sd-v1-5");
  CHECK(all[0].width == 16);
  CHECK(all[0].height == 8);
  CHECK(all[0].source == "atelier");
  CHECK(all[0].sampler == "Euler a");
  CHECK(all[0].seed == 42);

  CHECK(prompts(index.query(search("fox"))) == std::vector<std::string>{"a red fox in the snow"});
  CHECK(index.count(search("blurry")) == 2);
  GalleryQuery by_model;
  by_model.model = "sd-v1-5";
  CHECK(index.count(by_model) == 1);
  GalleryQuery page;
  page.limit = 1;
  page.offset = 1;
  CHECK(prompts(index.query(page)) == std::vector<std::string>{"a red fox in the snow"});
  GalleryQuery recent;
  recent.from_ns = all[0].mtime_ns;
  CHECK(index.count(recent) == 1);
}

TEST_CASE("a rescan picks up added, changed and removed files", "[index]") {
  TempDir dir;
  save(dir / "a.png", "first");
  save(dir / "b.png", "second");
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  index.scan();

  const ScanReport nothing = index.scan();
  CHECK(nothing.unchanged == 2);
  CHECK(nothing.added + nothing.changed + nothing.removed == 0);

  std::filesystem::remove(dir / "a.png");
  save(dir / "c.png", "third");
  save(dir / "b.png", "second, edited by hand with a longer prompt");
  const ScanReport report = index.scan();
  CHECK(report.added == 1);
  CHECK(report.changed == 1);
  CHECK(report.removed == 1);
  CHECK(index.count({}) == 2);
  CHECK(index.count(search("edited")) == 1);
  CHECK(index.count(search("first")) == 0);
}

TEST_CASE("favourites and the trash with undo", "[index]") {
  TempDir dir;
  save(dir / "a.png", "keep me");
  save(dir / "b.png", "throw me away");
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  index.scan();
  const auto keep = index.query(search("keep")).at(0);
  index.set_favourite(keep.id, true);
  GalleryQuery favourites;
  favourites.favourites_only = true;
  CHECK(prompts(index.query(favourites)) == std::vector<std::string>{"keep me"});

  const TrashedImage trashed = index.move_to_trash(keep.id);
  CHECK_FALSE(std::filesystem::exists(dir / "a.png"));
  CHECK(std::filesystem::exists(trashed.trashed));
  CHECK(index.count({}) == 1);
  CHECK(index.scan().added == 0);  // the trash is not scanned

  index.restore(trashed);
  CHECK(std::filesystem::exists(dir / "a.png"));
  CHECK(prompts(index.query(favourites)) == std::vector<std::string>{"keep me"});
}

TEST_CASE("broken files are skipped with a reason", "[index]") {
  TempDir dir;
  save(dir / "good.png", "good");
  save(dir / "truncated.png", "truncated");
  save(dir / "bad-crc.png", "bad crc");
  std::filesystem::resize_file(dir / "truncated.png", 60);
  {
    std::fstream file(dir / "bad-crc.png", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(40);
    file.put('X');  // inside the first text chunk
  }
  std::ofstream(dir / "text.png") << "this is not a PNG";
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  const ScanReport report = index.scan();
  CHECK(report.added == 4);
  CHECK(report.skipped.size() == 3);
  for (const auto& [path, reason] : report.skipped) CHECK_THAT(reason, Catch::Contains(path.filename().string()));
  CHECK(index.count({}) == 1);
}

TEST_CASE("hostile metadata is stored and searched as text", "[index]") {
  TempDir dir;
  const std::string quotes = "it's a \"test\"'); DROP TABLE images; --";
  save(dir / "quotes.png", quotes);
  save(dir / "huge.png", std::string(1 << 20, 'x') + " needle");
  write_png(dir / "nul.png", Image8{8, 8, std::vector<std::uint8_t>(192, 0)},
            {{"parameters", "café nul\0byte\nSteps: 1, Seed: 2, Size: 8x8"s}});
  write_with_invalid_utf8(dir / "invalid.png", "猫 invalid\nSteps: 1, Seed: 2, Size: 8x8");
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  CHECK(index.scan().skipped.empty());
  CHECK(index.count({}) == 4);
  CHECK(index.count(search("invalid")) == 1);
  CHECK(prompts(index.query(search("DROP TABLE"))) == std::vector<std::string>{quotes});
  CHECK(index.count(search("needle")) == 1);
  CHECK(index.count(search("\"unbalanced ( OR")) == 0);
  CHECK(index.count(search("café")) == 1);
}

TEST_CASE("a database overwritten with garbage is rebuilt from the PNGs, favourites included", "[index]") {
  TempDir dir;
  save(dir / "a.png", "survivor");
  save(dir / "2024-05-01" / "b.png", "favourite survivor");
  const auto database = GalleryIndex::default_database(dir.path());
  {
    GalleryIndex index(dir.path(), database);
    index.scan();
    index.set_favourite(index.query(search("favourite"))[0].id, true);
  }
  std::ofstream(database, std::ios::trunc) << std::string(8192, '\x5a');
  GalleryIndex index(dir.path(), database);
  CHECK(index.was_rebuilt());
  CHECK(index.scan().added == 2);
  CHECK(index.count(search("survivor")) == 2);
  GalleryQuery favourites;
  favourites.favourites_only = true;
  REQUIRE(index.count(favourites) == 1);
  CHECK(index.query(favourites)[0].prompt == "favourite survivor");
}

TEST_CASE("a process killed while saving leaves no partial PNG and no row for it", "[index]") {
  TempDir dir;
  // A large image takes long enough to encode and write that the kill lands mid-save.
  GeneratedImage big = image_with("killed mid-save");
  big.image = Image8{1024, 1024, std::vector<std::uint8_t>(1024 * 1024 * 3)};
  for (std::size_t i = 0; i < big.image.rgb.size(); ++i) big.image.rgb[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
  for (int delay_ms : {5, 20, 60, 150}) {
    const pid_t child = fork();
    if (child == 0) {
      for (int i = 0;; ++i) save_generated_image(dir / ("image-" + std::to_string(delay_ms) + "-" + std::to_string(i) + ".png"), big);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  const auto report = index.scan();
  CHECK(report.skipped.empty());  // every visible PNG is whole
  int complete = 0, interrupted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(".image-")) ++interrupted;  // a temporary the kill left behind, hidden
    if (entry.path().extension() != ".png") continue;
    INFO(entry.path());
    CHECK(load_image(entry.path()).width == 1024);
    ++complete;
  }
  WARN(complete << " complete PNGs, " << interrupted << " interrupted temporaries");
  CHECK(index.count({}) == complete);
  GalleryQuery everything;
  everything.limit = 1000;
  for (const auto& row : index.query(everything)) CHECK(std::filesystem::exists(row.path));
}

TEST_CASE("a scan removes the temporaries of killed saves once they are old, and nothing else", "[index]") {
  TempDir dir;
  auto write = [&](const std::string& name) {
    std::ofstream(dir / name) << "partial";
    return dir / name;
  };
  const auto abandoned = write(".00001-7.png.tmp-a1B2c3");
  const auto in_progress = write(".00002-8.png.tmp-x9Y8z7");
  const auto other_hidden = write(".notes.txt");
  const auto visible_lookalike = write("00003-9.png.tmp-q1w2e3");
  for (const auto& path : {abandoned, other_hidden, visible_lookalike})
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));

  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  CHECK(index.scan().abandoned_removed == 1);
  CHECK_FALSE(std::filesystem::exists(abandoned));
  CHECK(std::filesystem::exists(in_progress));  // a save may still be writing it
  CHECK(std::filesystem::exists(other_hidden));
  CHECK(std::filesystem::exists(visible_lookalike));
  CHECK(index.scan().abandoned_removed == 0);
}

TEST_CASE("a scan killed half-way leaves a consistent index that the next scan completes", "[index]") {
  TempDir dir;
  const int total = 1500;
  for (int i = 0; i < total; ++i) save(dir / ("image-" + std::to_string(i) + ".png"), "picture " + std::to_string(i));
  // How long a whole scan takes here, so the kill can land half-way through one.
  const auto started = std::chrono::steady_clock::now();
  GalleryIndex(dir.path(), dir / "timing.sqlite").scan();
  const auto whole_scan = std::chrono::steady_clock::now() - started;

  const auto database = GalleryIndex::default_database(dir.path());
  const pid_t child = fork();
  if (child == 0) {
    GalleryIndex index(dir.path(), database);
    index.scan();
    _exit(0);
  }
  std::this_thread::sleep_for(whole_scan / 2);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  GalleryIndex index(dir.path(), database);
  CHECK_FALSE(index.was_rebuilt());
  const auto indexed_before = index.count({});
  WARN("the killed scan had indexed " << indexed_before << " of " << total);
  const auto report = index.scan();
  CHECK(report.added == total - indexed_before);
  CHECK(index.count({}) == total);
}

TEST_CASE("queries sort by time, file name or size, ties by id, and filter by size", "[index]") {
  using std::chrono::hours;
  const auto now = std::filesystem::file_time_type::clock::now();
  TempDir dir;
  save_sized(dir / "2024-05-01/delta.png", 32, 32, now - hours(4));
  save_sized(dir / "2024-05-01/Beta.png", 16, 8, now - hours(3));
  save_sized(dir / "2024-05-02/alpha.png", 32, 32, now - hours(2));
  save_sized(dir / "2024-05-02/gamma.png", 8, 8, now - hours(1));
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  index.scan();
  auto sorted = [&](GallerySort sort) {
    GalleryQuery query;
    query.sort = sort;
    return index.query(query);
  };

  using names = std::vector<std::string>;
  CHECK(prompts(sorted(GallerySort::newest_first)) == names{"gamma", "alpha", "Beta", "delta"});
  CHECK(prompts(sorted(GallerySort::oldest_first)) == names{"delta", "Beta", "alpha", "gamma"});
  CHECK(prompts(sorted(GallerySort::file_name)) == names{"alpha", "Beta", "delta", "gamma"});  // whatever the case
  const auto largest = sorted(GallerySort::largest_first);
  REQUIRE(largest.size() == 4);
  CHECK(largest[0].width * largest[0].height == 32 * 32);
  CHECK(largest[1].width * largest[1].height == 32 * 32);
  CHECK(largest[0].id > largest[1].id);  // the tie broken by id, in the sort's direction
  CHECK(prompts({largest[2], largest[3]}) == names{"Beta", "gamma"});

  GalleryQuery square;
  square.width = 32;
  square.height = 32;
  square.sort = GallerySort::file_name;
  CHECK(prompts(index.query(square)) == names{"alpha", "delta"});
  CHECK(index.count(square) == 2);
  square.height = 8;
  CHECK(index.count(square) == 0);
}

TEST_CASE("pages of every sort follow each other without gaps or repeats, even over ties", "[index]") {
  TempDir dir;
  // The same size, time and name in two folders: only the id tells them apart.
  const auto time = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (int i = 0; i < 6; ++i) save_sized(dir / std::to_string(i) / "same.png", 8, 8, time);
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  index.scan();
  for (auto sort : {GallerySort::newest_first, GallerySort::oldest_first, GallerySort::file_name,
                    GallerySort::largest_first}) {
    GalleryQuery all;
    all.sort = sort;
    std::vector<std::int64_t> whole, paged;
    for (const auto& image : index.query(all)) whole.push_back(image.id);
    GalleryQuery page = all;
    page.limit = 1;
    for (page.offset = 0; page.offset < 6; ++page.offset) paged.push_back(index.query(page).at(0).id);
    INFO("sort " << static_cast<int>(sort));
    CHECK(paged == whole);
    auto by_id = whole;  // ascending ids for the ascending sorts, descending for the others
    std::sort(by_id.begin(), by_id.end());
    const bool descending = sort == GallerySort::newest_first || sort == GallerySort::largest_first;
    if (descending) std::reverse(by_id.begin(), by_id.end());
    CHECK(whole.size() == 6);
    CHECK(whole == by_id);
  }
}

TEST_CASE("facets list the models, samplers and sizes present, most common first", "[index]") {
  TempDir dir;
  save(dir / "a.png", "one");
  save(dir / "b.png", "two");
  save(dir / "c.png", "three", "/models/sd-v1-5.safetensors");
  GeneratedImage other = image_with("no model named");
  other.params.model.clear();
  other.params.sampler = "DPM++ 2M";
  other.image = Image8{8, 8, std::vector<std::uint8_t>(8 * 8 * 3, 0)};
  save_generated_image(dir / "d.png", other);
  GalleryIndex index(dir.path(), GalleryIndex::default_database(dir.path()));
  CHECK(index.facets() == GalleryFacets{});
  index.scan();

  const GalleryFacets facets = index.facets();
  CHECK(facets.models == std::vector<FacetValue>{{"dreamshaper_8", 2}, {"sd-v1-5", 1}});  // not the empty one
  CHECK(facets.samplers == std::vector<FacetValue>{{"Euler a", 3}, {"DPM++ 2M", 1}});
  CHECK(facets.sizes == std::vector<FacetValue>{{"16x8", 3}, {"8x8", 1}});

  index.move_to_trash(index.query(search("three")).at(0).id);
  CHECK(index.facets().models == std::vector<FacetValue>{{"dreamshaper_8", 2}});
}
