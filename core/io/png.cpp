#include "core/io/png.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <span>
#include <string_view>
#include <system_error>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/system_error_text.h"

namespace atelier {
namespace {

constexpr std::array<std::uint8_t, 8> kSignature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr std::uint32_t kMaxChunkLength = 0x7FFFFFFF;  // the PNG specification's limit
constexpr std::size_t kIdatChunkBytes = 1 << 20;
// Caps on text, which also bound what a zip bomb in a zTXt or iTXt chunk can allocate.
constexpr std::size_t kMaxTextChunkBytes = 8 << 20;
constexpr std::size_t kMaxTextFileBytes = 32 << 20;
constexpr std::size_t kInflateStep = 64 << 10;

using Bytes = std::span<const std::uint8_t>;


std::string mebibytes(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// ---- Text encodings: PNG keywords and tEXt/zTXt are Latin-1, iTXt is UTF-8.

// Throws InvalidArgument naming `what` when `utf8` is not valid UTF-8.
std::u32string decode_utf8(std::string_view utf8, const std::string& what) {
  std::u32string code_points;
  for (std::size_t pos = 0; pos < utf8.size();) {
    const auto lead = static_cast<std::uint8_t>(utf8[pos]);
    const std::size_t length = lead < 0x80                   ? 1
                               : lead >= 0xC2 && lead <= 0xDF ? 2
                               : lead >= 0xE0 && lead <= 0xEF ? 3
                               : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                              : 0;
    if (length == 0 || utf8.size() - pos < length) throw InvalidArgument(what + " is not valid UTF-8");
    char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t i = 1; i < length; ++i) {
      const auto continuation = static_cast<std::uint8_t>(utf8[pos + i]);
      if ((continuation & 0xC0) != 0x80) throw InvalidArgument(what + " is not valid UTF-8");
      code_point = code_point << 6 | (continuation & 0x3F);
    }
    constexpr std::array<char32_t, 5> kShortest{0, 0, 0x80, 0x800, 0x10000};  // shorter is overlong
    if (code_point < kShortest[length] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      throw InvalidArgument(what + " is not valid UTF-8");
    }
    code_points.push_back(code_point);
    pos += length;
  }
  return code_points;
}

bool is_latin1(std::u32string_view code_points) {
  return std::all_of(code_points.begin(), code_points.end(), [](char32_t c) { return c <= 0xFF; });
}

std::string latin1_bytes(std::u32string_view code_points) {  // every code point <= U+00FF
  return std::string(code_points.begin(), code_points.end());
}

std::string latin1_to_utf8(Bytes latin1) {
  std::string utf8;
  utf8.reserve(latin1.size());
  for (std::uint8_t c : latin1) {
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else {
      utf8 += static_cast<char>(0xC0 | c >> 6);
      utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return utf8;
}

// ---- Writing

void append(std::vector<std::uint8_t>& out, std::string_view bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t chunk_crc(Bytes type, Bytes data) {
  uLong crc = crc32_z(0, type.data(), type.size());
  if (!data.empty()) crc = crc32_z(crc, data.data(), data.size());  // a null buffer would restart the CRC
  return static_cast<std::uint32_t>(crc);
}

void append_chunk(std::vector<std::uint8_t>& png, std::string_view type, Bytes data) {
  append_u32(png, static_cast<std::uint32_t>(data.size()));
  append(png, type);
  png.insert(png.end(), data.begin(), data.end());
  append_u32(png, chunk_crc(Bytes(reinterpret_cast<const std::uint8_t*>(type.data()), type.size()), data));
}

// The chunk that carries `text`, chosen as PIL chooses: tEXt when Latin-1 can hold the text,
// else iTXt (uncompressed, no language tag). Returns the chunk type and its data.
std::pair<std::string_view, std::vector<std::uint8_t>> text_chunk(const PngText& text) {
  const std::u32string keyword = decode_utf8(text.keyword, "PNG text keyword");
  const bool printable_latin1 = std::all_of(keyword.begin(), keyword.end(), [](char32_t c) {
    return (c >= 0x20 && c <= 0x7E) || (c >= 0xA1 && c <= 0xFF);
  });
  if (keyword.empty() || keyword.size() > 79 || !printable_latin1) {
    throw InvalidArgument("PNG text keyword '" + text.keyword + "' is not 1-79 printable Latin-1 characters");
  }
  const std::u32string content = decode_utf8(text.text, "PNG text '" + text.keyword + "'");

  std::vector<std::uint8_t> data;
  append(data, latin1_bytes(keyword));
  data.push_back(0);
  std::string_view type = "tEXt";
  if (is_latin1(content)) {
    append(data, latin1_bytes(content));
  } else {
    type = "iTXt";
    append(data, std::string_view("\0\0\0\0", 4));  // not compressed, method 0, no language, no translation
    append(data, text.text);
  }
  // Readers (ours included) refuse larger text chunks.
  if (data.size() > kMaxTextChunkBytes) {
    throw InvalidArgument("PNG text '" + text.keyword + "' is longer than " + mebibytes(kMaxTextChunkBytes));
  }
  return {type, std::move(data)};
}

std::uint8_t paeth_predictor(int left, int up, int up_left) {
  const int estimate = left + up - up_left;
  const int to_left = std::abs(estimate - left);
  const int to_up = std::abs(estimate - up);
  const int to_up_left = std::abs(estimate - up_left);
  if (to_left <= to_up && to_left <= to_up_left) return static_cast<std::uint8_t>(left);
  return static_cast<std::uint8_t>(to_up <= to_up_left ? up : up_left);
}

// Each scanline prefixed by its filter type and filtered with the one of the five filters
// whose output has the smallest sum of absolute values (as signed bytes): the heuristic the
// PNG specification recommends, which makes the rows compress well.
std::vector<std::uint8_t> filtered_scanlines(const Image8& image) {
  constexpr std::size_t kPixelBytes = 3;
  const std::size_t stride = static_cast<std::size_t>(image.width) * kPixelBytes;
  const std::vector<std::uint8_t> zero_row(stride, 0);
  std::array<std::vector<std::uint8_t>, 5> filtered;  // by filter type: None, Sub, Up, Average, Paeth
  for (auto& row : filtered) row.resize(stride);

  std::vector<std::uint8_t> scanlines;
  scanlines.reserve((stride + 1) * static_cast<std::size_t>(image.height));
  for (std::size_t y = 0; y < static_cast<std::size_t>(image.height); ++y) {
    const std::uint8_t* row = image.rgb.data() + y * stride;
    const std::uint8_t* prior = y == 0 ? zero_row.data() : row - stride;
    std::array<std::uint64_t, 5> cost{};
    for (std::size_t i = 0; i < stride; ++i) {
      const std::uint8_t left = i >= kPixelBytes ? row[i - kPixelBytes] : 0;
      const std::uint8_t up = prior[i];
      const std::uint8_t up_left = i >= kPixelBytes ? prior[i - kPixelBytes] : 0;
      const std::array<std::uint8_t, 5> predictions{0, left, up, static_cast<std::uint8_t>((left + up) / 2),
                                                    paeth_predictor(left, up, up_left)};
      for (std::size_t type = 0; type < filtered.size(); ++type) {
        const auto difference = static_cast<std::uint8_t>(row[i] - predictions[type]);
        filtered[type][i] = difference;
        cost[type] += static_cast<std::uint64_t>(std::abs(static_cast<std::int8_t>(difference)));
      }
    }
    const auto best = static_cast<std::size_t>(std::min_element(cost.begin(), cost.end()) - cost.begin());
    scanlines.push_back(static_cast<std::uint8_t>(best));
    scanlines.insert(scanlines.end(), filtered[best].begin(), filtered[best].end());
  }
  return scanlines;
}

std::vector<std::uint8_t> zlib_compress(Bytes data) {
  uLongf size = compressBound(data.size());
  std::vector<std::uint8_t> compressed(size);
  if (compress2(compressed.data(), &size, data.data(), data.size(), 6) != Z_OK) {
    throw Error("zlib could not compress " + std::to_string(data.size()) + " bytes of pixels");
  }
  compressed.resize(size);
  return compressed;
}

// ---- Reading

// Read rather than mapped: another program rewriting the file in place would make a mapping
// fault (SIGBUS) under a gallery that is indexing it.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  const auto fail = [&](int error) { throw Error("cannot read " + path.string() + ": " + system_error_text(error)); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  std::vector<std::uint8_t> bytes;
  struct stat status {};
  int error = ::fstat(fd, &status) != 0 ? errno : 0;
  if (error == 0) bytes.resize(static_cast<std::size_t>(status.st_size));
  std::size_t size = 0;
  while (error == 0 && size < bytes.size()) {
    const ssize_t count = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) error = errno;
    if (count <= 0) break;  // a file that shrank since fstat: what was read is all there is
    size += static_cast<std::size_t>(count);
  }
  ::close(fd);
  if (error != 0) fail(error);
  bytes.resize(size);
  return bytes;
}

std::uint32_t read_u32(Bytes bytes) {
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 | std::uint32_t{bytes[2]} << 8 | bytes[3];
}

// The text chunks of one file, with its name in every error.
class PngTextReader {
 public:
  explicit PngTextReader(std::string file) : file_(std::move(file)) {}

  std::vector<PngText> read(Bytes png) {
    if (png.size() < kSignature.size() || !std::equal(kSignature.begin(), kSignature.end(), png.begin())) {
      fail("not a PNG file (no PNG signature)");
    }
    std::vector<PngText> texts;
    std::size_t text_bytes = 0;
    for (std::size_t offset = kSignature.size();;) {
      const Bytes rest = png.subspan(offset);
      if (rest.size() < 12) fail("truncated: the file ends at byte " + std::to_string(png.size()) + " before IEND");
      const std::uint32_t length = read_u32(rest);
      const std::string type(rest.begin() + 4, rest.begin() + 8);
      const bool letters = std::all_of(type.begin(), type.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      });
      if (!letters) fail("corrupt: no valid chunk type at byte " + std::to_string(offset + 4));
      if (length > kMaxChunkLength) fail("corrupt: chunk " + type + " claims " + std::to_string(length) + " bytes");
      if (length > rest.size() - 12) {
        fail("truncated: chunk " + type + " at byte " + std::to_string(offset) + " needs " +
             std::to_string(length + 12) + " bytes, " + std::to_string(rest.size()) + " remain");
      }
      const Bytes data = rest.subspan(8, length);
      if (chunk_crc(rest.subspan(4, 4), data) != read_u32(rest.subspan(8 + length))) {
        fail("bad CRC in chunk " + type + " at byte " + std::to_string(offset));
      }
      if (type == "IEND") return texts;
      if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
        if (length > kMaxTextChunkBytes) fail(type + " chunk larger than " + mebibytes(kMaxTextChunkBytes));
        PngText& text = texts.emplace_back(decode_text(type, data));
        text_bytes += text.keyword.size() + text.text.size();
        if (text_bytes > kMaxTextFileBytes) fail("more than " + mebibytes(kMaxTextFileBytes) + " of text");
      }
      offset += 12 + length;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& defect) const { throw FormatError(file_ + ": " + defect); }

  PngText decode_text(const std::string& type, Bytes data) const {
    const auto [keyword_bytes, content] = split_at_nul(data, "malformed " + type + " chunk");
    const std::string keyword = latin1_to_utf8(keyword_bytes);
    const std::string where = type + " chunk '" + keyword + "'";
    if (type == "tEXt") return {keyword, latin1_to_utf8(content)};
    if (type == "zTXt") {
      if (content.empty() || content[0] != 0) fail("unknown compression method in " + where);
      const std::string latin1 = inflate_text(content.subspan(1), where);
      return {keyword, latin1_to_utf8(Bytes(reinterpret_cast<const std::uint8_t*>(latin1.data()), latin1.size()))};
    }
    // iTXt: compression flag and method, language tag, translated keyword, UTF-8 text.
    if (content.size() < 2 || content[0] > 1 || content[1] != 0) fail("unknown compression in " + where);
    const Bytes translation_and_text = split_at_nul(content.subspan(2), "malformed " + where).second;
    const Bytes text = split_at_nul(translation_and_text, "malformed " + where).second;
    if (content[0] == 1) return {keyword, inflate_text(text, where)};
    return {keyword, std::string(text.begin(), text.end())};
  }

  // The bytes before and after the first NUL; `defect` when there is none.
  std::pair<Bytes, Bytes> split_at_nul(Bytes bytes, const std::string& defect) const {
    const auto nul = std::find(bytes.begin(), bytes.end(), 0);
    if (nul == bytes.end()) fail(defect);
    return {Bytes(bytes.begin(), nul), Bytes(nul + 1, bytes.end())};
  }

  // A zlib stream, inflated to at most kMaxTextChunkBytes.
  std::string inflate_text(Bytes compressed, const std::string& where) const {
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) throw Error("zlib could not start inflating " + where);
    stream.next_in = const_cast<Bytef*>(compressed.data());
    stream.avail_in = static_cast<uInt>(compressed.size());  // at most kMaxTextChunkBytes
    std::string text;
    int status = Z_OK;
    while (status == Z_OK && text.size() <= kMaxTextChunkBytes) {
      const std::size_t produced = text.size();
      text.resize(produced + kInflateStep);
      stream.next_out = reinterpret_cast<Bytef*>(text.data() + produced);
      stream.avail_out = static_cast<uInt>(kInflateStep);
      status = ::inflate(&stream, Z_NO_FLUSH);
      text.resize(produced + kInflateStep - stream.avail_out);
    }
    const std::string message = stream.msg ? stream.msg : "zlib error " + std::to_string(status);
    inflateEnd(&stream);
    if (text.size() > kMaxTextChunkBytes) {
      fail(where + " inflates to more than " + mebibytes(kMaxTextChunkBytes));
    }
    if (status == Z_BUF_ERROR) fail("truncated compressed text in " + where);
    if (status != Z_STREAM_END) fail("corrupt compressed text in " + where + ": " + message);
    return text;
  }

  std::string file_;
};

}  // namespace

std::vector<std::uint8_t> encode_png(const Image8& image, const std::vector<PngText>& texts) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw InvalidArgument("cannot encode a PNG of " + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + " from " + std::to_string(image.rgb.size()) + " bytes");
  }
  std::vector<std::uint8_t> png(kSignature.begin(), kSignature.end());

  std::vector<std::uint8_t> header;
  append_u32(header, static_cast<std::uint32_t>(image.width));
  append_u32(header, static_cast<std::uint32_t>(image.height));
  header.insert(header.end(), {8, 2, 0, 0, 0});  // 8 bits, RGB, deflate, adaptive filters, not interlaced
  append_chunk(png, "IHDR", header);

  for (const PngText& text : texts) {
    const auto [type, data] = text_chunk(text);
    append_chunk(png, type, data);
  }

  const std::vector<std::uint8_t> pixels = zlib_compress(filtered_scanlines(image));
  for (std::size_t offset = 0; offset < pixels.size(); offset += kIdatChunkBytes) {
    append_chunk(png, "IDAT", Bytes(pixels).subspan(offset, std::min(kIdatChunkBytes, pixels.size() - offset)));
  }
  append_chunk(png, "IEND", {});
  return png;
}

void write_png(const std::filesystem::path& path, const Image8& image, const std::vector<PngText>& texts) {
  write_file_atomically(path, encode_png(image, texts));
}

std::vector<PngText> read_png_texts(const std::filesystem::path& path) {
  return PngTextReader(path.string()).read(read_file(path));
}

std::vector<PngText> png_texts_if_any(const std::filesystem::path& path) {
  try {
    return read_png_texts(path);
  } catch (const FormatError&) {
    return {};
  }
}

}  // namespace atelier
