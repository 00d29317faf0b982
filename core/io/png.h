#pragma once
// PNG files with text metadata, written and read by our own code over zlib: the gallery's
// images carry their generation parameters in text chunks (A1111's "parameters", ours).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io/image.h"

namespace atelier {

// One text chunk; both strings are UTF-8.
struct PngText {
  std::string keyword;
  std::string text;

  friend bool operator==(const PngText&, const PngText&) = default;
};

// An 8-bit RGB PNG: IHDR, the texts (in order, before the pixels, as PIL writes them), IDAT,
// IEND. A text goes in a tEXt chunk when Latin-1 can hold it, else in an uncompressed iTXt.
// Throws InvalidArgument for a malformed image, invalid UTF-8, or a keyword that is not 1-79
// printable Latin-1 characters.
std::vector<std::uint8_t> encode_png(const Image8& image, const std::vector<PngText>& texts);

// encode_png written atomically: readers of `path` see the old file or the complete new one,
// never a partial write. Throws Error naming the file and the system's reason on failure.
void write_png(const std::filesystem::path& path, const Image8& image, const std::vector<PngText>& texts);

// Every tEXt, zTXt and iTXt chunk, in file order, as UTF-8. Checks the signature and every
// chunk's length and CRC; throws FormatError naming the file and the defect (not a PNG,
// truncated, bad CRC, malformed or oversized text: 8 MiB a chunk, 32 MiB a file).
std::vector<PngText> read_png_texts(const std::filesystem::path& path);

// read_png_texts, or none when the file cannot be read as a PNG (a JPEG, a BMP): for images whose
// pixels are read elsewhere and whose metadata is only carried along.
std::vector<PngText> png_texts_if_any(const std::filesystem::path& path);

}  // namespace atelier
