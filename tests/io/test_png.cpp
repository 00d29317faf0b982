#include "core/io/png.h"

#include <signal.h>
#include <stb/stb_image.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

using namespace atelier;
using test::Bytes;
using test::read_bytes;
using test::write_bytes;
using namespace std::string_literals;

namespace atelier {
// Found by argument-dependent lookup when Catch prints a mismatch (through glog's operator<< for
// vectors, which LibTorch's headers bring in).
std::ostream& operator<<(std::ostream& out, const PngText& text) {
  return out << "{" << Catch::Detail::stringify(text.keyword) << ", " << Catch::Detail::stringify(text.text) << "}";
}
}  // namespace atelier
using Catch::Matchers::Contains;

namespace {



std::uint32_t u32_at(const Bytes& bytes, std::size_t offset) {
  return std::uint32_t{bytes[offset]} << 24 | std::uint32_t{bytes[offset + 1]} << 16 |
         std::uint32_t{bytes[offset + 2]} << 8 | bytes[offset + 3];
}

struct Chunk {
  std::string type;
  std::string data;
};

// The chunks of a well-formed PNG, read with no help from the code under test.
std::vector<Chunk> chunks_of(const Bytes& png) {
  std::vector<Chunk> chunks;
  for (std::size_t offset = 8; offset + 12 <= png.size();) {
    const std::uint32_t length = u32_at(png, offset);
    chunks.push_back({std::string(png.begin() + offset + 4, png.begin() + offset + 8),
                      std::string(png.begin() + offset + 8, png.begin() + offset + 8 + length)});
    offset += 12 + length;
  }
  return chunks;
}

std::vector<std::string> types_of(const Bytes& png) {
  std::vector<std::string> types;
  for (const Chunk& chunk : chunks_of(png)) types.push_back(chunk.type);
  return types;
}

void put_u32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

Bytes make_chunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  Bytes chunk(body.size() + 8);
  put_u32(chunk.data(), static_cast<std::uint32_t>(data.size()));
  std::copy(body.begin(), body.end(), chunk.begin() + 4);
  put_u32(chunk.data() + 4 + body.size(),
          static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  return chunk;
}

// `png` with `chunk` inserted right after IHDR (signature 8 bytes, IHDR 25).
Bytes with_chunk(Bytes png, const Bytes& chunk) {
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());
  return png;
}

std::string zlib_compressed(const std::string& text) {
  uLongf size = compressBound(text.size());
  std::string compressed(size, '\0');
  compress2(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(text.data()),
            text.size(), 9);
  compressed.resize(size);
  return compressed;
}

Image8 noise_image(int width, int height, unsigned seed) {
  std::mt19937 random(seed);
  Image8 image{width, height, Bytes(static_cast<std::size_t>(width) * height * 3)};
  for (auto& byte : image.rgb) byte = static_cast<std::uint8_t>(random());
  return image;
}

Image8 gradient_image(int width, int height) {
  Image8 image{width, height, Bytes(static_cast<std::size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* pixel = &image.rgb[(static_cast<std::size_t>(y) * width + x) * 3];
      pixel[0] = static_cast<std::uint8_t>(x * 3);
      pixel[1] = static_cast<std::uint8_t>(y * 5);
      pixel[2] = static_cast<std::uint8_t>(x + y);
    }
  }
  return image;
}

const Image8 kSmallImage = gradient_image(5, 4);

void require_format_error(const std::filesystem::path& path, const std::string& defect) {
  try {
    read_png_texts(path);
    FAIL("no FormatError for " << path);
  } catch (const FormatError& e) {
    CHECK_THAT(e.what(), Contains(path.string()) && Contains(defect));
  }
}

std::vector<std::string> directory_listing(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("Latin-1 texts are written as tEXt and read back as UTF-8", "[png]") {
  test::TempDir dir;
  const std::vector<PngText> texts{{"parameters", "a café at 20°C\nSteps: 20, Seed: 1"}, {"Comment", ""}};
  write_png(dir / "a.png", kSmallImage, texts);

  const Bytes png = read_bytes(dir / "a.png");
  CHECK(types_of(png) == std::vector<std::string>{"IHDR", "tEXt", "tEXt", "IDAT", "IEND"});
  // Latin-1 bytes in the file: é is 0xE9, ° is 0xB0.
  CHECK(chunks_of(png)[1].data == "parameters\0a caf\xE9 at 20\xB0" "C\nSteps: 20, Seed: 1"s);
  CHECK(read_png_texts(dir / "a.png") == texts);
}

TEST_CASE("texts beyond Latin-1 are written as uncompressed iTXt", "[png]") {
  test::TempDir dir;
  const std::vector<PngText> texts{
      {"parameters", "猫, masterpiece 🐱\nNegative prompt: 犬"}, {"workflow", "{\"a\": 1}"}, {"Title", "Ünïcode ∑"}};
  write_png(dir / "a.png", kSmallImage, texts);

  const Bytes png = read_bytes(dir / "a.png");
  CHECK(types_of(png) == std::vector<std::string>{"IHDR", "iTXt", "tEXt", "iTXt", "IDAT", "IEND"});
  CHECK(chunks_of(png)[1].data == "parameters\0\0\0\0\0"s + texts[0].text);
  CHECK(read_png_texts(dir / "a.png") == texts);
}

TEST_CASE("the pixels decode to what was written", "[png]") {
  test::TempDir dir;
  // Odd sizes, a smooth image (which the filters shrink), and noise big enough for several IDATs.
  for (const Image8& image : {kSmallImage, gradient_image(37, 23), noise_image(700, 700, 1)}) {
    write_png(dir / "a.png", image, {{"parameters", "x"}});
    const Bytes png = read_bytes(dir / "a.png");
    int width = 0, height = 0, channels = 0;
    stbi_uc* pixels = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &width, &height, &channels, 3);
    REQUIRE(pixels != nullptr);
    CHECK(width == image.width);
    CHECK(height == image.height);
    CHECK(channels == 3);
    CHECK(Bytes(pixels, pixels + image.rgb.size()) == image.rgb);
    stbi_image_free(pixels);
  }
  const std::vector<std::string> types = types_of(read_bytes(dir / "a.png"));
  CHECK(std::count(types.begin(), types.end(), "IDAT") == 2);
}

TEST_CASE("scanlines are filtered to compress well", "[png]") {
  const Image8 image = gradient_image(200, 100);
  std::string idat;
  for (const Chunk& chunk : chunks_of(encode_png(image, {}))) {
    if (chunk.type == "IDAT") idat += chunk.data;
  }
  CHECK(idat.size() < image.rgb.size() / 20);
  uLongf size = image.rgb.size() + image.height;
  Bytes scanlines(size);
  REQUIRE(uncompress(scanlines.data(), &size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
  REQUIRE(size == scanlines.size());
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t filter = scanlines[static_cast<std::size_t>(y) * (image.width * 3 + 1)];
    CHECK(filter >= 1);  // a gradient predicts better than raw bytes
    CHECK(filter <= 4);
  }
}

TEST_CASE("zTXt and compressed iTXt chunks are inflated", "[png]") {
  test::TempDir dir;
  const Bytes png = encode_png(kSmallImage, {});
  const Bytes ztxt = make_chunk("zTXt", "Title\0\0"s + zlib_compressed("caf\xE9 au lait"));
  const Bytes itxt = make_chunk("iTXt", "parameters\0\1\0ja\0パラメータ\0"s + zlib_compressed("猫 cat"));
  write_bytes(dir / "a.png", with_chunk(with_chunk(png, itxt), ztxt));

  CHECK(read_png_texts(dir / "a.png") == std::vector<PngText>{{"Title", "café au lait"}, {"parameters", "猫 cat"}});
}

TEST_CASE("damaged or foreign files are refused with FormatError naming the file", "[png]") {
  test::TempDir dir;
  const Bytes png = encode_png(noise_image(16, 16, 2), {{"parameters", "a cat"}});
  const auto path = dir / "broken.png";

  SECTION("truncated") {
    for (std::size_t size : {std::size_t{8}, std::size_t{20}, std::size_t{60}, png.size() / 2, png.size() - 1}) {
      write_bytes(path, Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(size)));
      require_format_error(path, "truncated");
    }
  }
  SECTION("bad CRC") {
    Bytes damaged = png;
    damaged[33 + 8 + 3] ^= 0x20;  // a letter of the tEXt keyword
    write_bytes(path, damaged);
    require_format_error(path, "bad CRC in chunk tEXt");
  }
  SECTION("not a PNG") {
    std::ofstream(path) << "just some text, named like an image\n";
    require_format_error(path, "not a PNG");
    write_bytes(path, {});
    require_format_error(path, "not a PNG");
  }
  SECTION("a chunk longer than the file") {
    Bytes damaged = png;
    damaged[33] = 0x7F;  // the tEXt chunk's length becomes 0x7F000010
    write_bytes(path, damaged);
    require_format_error(path, "truncated: chunk tEXt");
  }
  SECTION("a chunk length beyond the PNG limit") {
    Bytes damaged = png;
    damaged[33] = 0x80;
    write_bytes(path, damaged);
    require_format_error(path, "corrupt: chunk tEXt claims 2147483664 bytes");
  }
  SECTION("a giant text chunk") {
    write_bytes(path, with_chunk(png, make_chunk("tEXt", "big\0"s + std::string(9 << 20, 'a'))));
    require_format_error(path, "tEXt chunk larger than 8 MiB");
  }
  SECTION("a zip bomb") {
    const std::string bomb = zlib_compressed(std::string(64 << 20, 'a'));
    REQUIRE(bomb.size() < (1 << 20));
    write_bytes(path, with_chunk(png, make_chunk("zTXt", "bomb\0\0"s + bomb)));
    require_format_error(path, "zTXt chunk 'bomb' inflates to more than 8 MiB");
  }
  SECTION("too much text in all") {
    const Bytes chunk = make_chunk("zTXt", "part\0\0"s + zlib_compressed(std::string(7 << 20, 'a')));
    Bytes many = png;
    for (int i = 0; i < 5; ++i) many = with_chunk(many, chunk);
    write_bytes(path, many);
    require_format_error(path, "more than 32 MiB of text");
  }
  SECTION("corrupt compressed text") {
    std::string compressed = zlib_compressed("hello hello hello");
    write_bytes(path, with_chunk(png, make_chunk("zTXt", "t\0\0"s + compressed.substr(0, 6))));
    require_format_error(path, "truncated compressed text in zTXt chunk 't'");
    compressed.back() ^= 1;  // the Adler-32 checksum
    write_bytes(path, with_chunk(png, make_chunk("zTXt", "t\0\0"s + compressed)));
    require_format_error(path, "corrupt compressed text in zTXt chunk 't'");
  }
  SECTION("a text chunk without a keyword separator") {
    write_bytes(path, with_chunk(png, make_chunk("tEXt", "no separator")));
    require_format_error(path, "malformed tEXt chunk");
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(read_png_texts(dir / "missing.png"), Contains("missing.png") && Contains("No such file"));
  }
}

TEST_CASE("texts and images a PNG cannot hold are refused", "[png]") {
  CHECK_THROWS_AS(encode_png(kSmallImage, {{"", "x"}}), InvalidArgument);
  CHECK_THROWS_AS(encode_png(kSmallImage, {{std::string(80, 'k'), "x"}}), InvalidArgument);
  CHECK_THROWS_AS(encode_png(kSmallImage, {{"tab\tkey", "x"}}), InvalidArgument);
  CHECK_THROWS_AS(encode_png(kSmallImage, {{"猫", "x"}}), InvalidArgument);
  CHECK_THROWS_WITH(encode_png(kSmallImage, {{"parameters", "bad \xC3\x28 UTF-8"}}), Contains("not valid UTF-8"));
  CHECK_THROWS_WITH(encode_png(kSmallImage, {{"parameters", "overlong \xC0\xAF"}}), Contains("not valid UTF-8"));
  CHECK_THROWS_AS(encode_png(kSmallImage, {{"parameters", std::string(9 << 20, 'a')}}), InvalidArgument);
  CHECK_THROWS_AS(encode_png(Image8{4, 4, Bytes(47)}, {}), InvalidArgument);
  CHECK_THROWS_AS(encode_png(Image8{}, {}), InvalidArgument);
  CHECK_NOTHROW(encode_png(kSmallImage, {{"Creation Time", "x"}, {std::string(79, 'k'), "x"}, {"Ærø", "x"}}));
}

TEST_CASE("write_png replaces the target atomically and leaves no temporary file", "[png]") {
  test::TempDir dir;
  const auto path = dir / "image.png";

  SECTION("success") {
    write_png(path, noise_image(64, 64, 3), {{"parameters", "first"}});
    write_png(path, kSmallImage, {{"parameters", "second"}});
    CHECK(directory_listing(dir.path()) == std::vector<std::string>{"image.png"});
    CHECK(read_png_texts(path) == std::vector<PngText>{{"parameters", "second"}});
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0644);
  }
  SECTION("a directory that does not exist") {
    const auto nowhere = dir / "missing" / "image.png";
    CHECK_THROWS_WITH(write_png(nowhere, kSmallImage, {}), Contains(nowhere.string()) && Contains("No such file"));
    CHECK(directory_listing(dir.path()).empty());
  }
  SECTION("a target that cannot be replaced") {
    std::filesystem::create_directory(path);
    CHECK_THROWS_WITH(write_png(path, kSmallImage, {}), Contains(path.string()) && Contains("directory"));
    CHECK(directory_listing(dir.path()) == std::vector<std::string>{"image.png"});
    CHECK(std::filesystem::is_directory(path));
  }
  SECTION("a write that fails part way keeps the old file") {
    write_png(path, kSmallImage, {{"parameters", "old"}});
    const Bytes old_file = read_bytes(path);
    // A file size limit makes write() fail with EFBIG as a full disk fails with ENOSPC.
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto saved_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    CHECK_THROWS_WITH(write_png(path, noise_image(64, 64, 4), {{"parameters", "new"}}),
                      Contains(path.string()) && Contains("too large"));
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, saved_handler);
    CHECK(read_bytes(path) == old_file);
    CHECK(directory_listing(dir.path()) == std::vector<std::string>{"image.png"});
  }
}
