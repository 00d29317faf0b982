// Thumbnails cached on disk.
#include "core/gallery/thumbnails.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/io/png.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::TempDir;

TEST_CASE("thumbnails are cached and made again when missing", "[thumbnails]") {
  TempDir dir;
  write_png(dir / "wide.png", Image8{16, 8, std::vector<std::uint8_t>(16 * 8 * 3, 64)}, {});
  const auto first = thumbnail(dir / "wide.png", dir / "thumbs", 4);
  const Image8 small = load_image(first);
  CHECK(small.width == 4);
  CHECK(small.height == 2);
  CHECK(thumbnail(dir / "wide.png", dir / "thumbs", 4) == first);
  std::filesystem::remove(first);
  CHECK(std::filesystem::exists(thumbnail(dir / "wide.png", dir / "thumbs", 4)));
  std::ofstream(dir / "broken.png") << "no";
  CHECK_THROWS_AS(thumbnail(dir / "broken.png", dir / "thumbs"), FormatError);
}
