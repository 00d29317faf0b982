// The safetensors header parser against corrupted input, built with AddressSanitizer and
// without LibTorch: truncated and bit-flipped variants of a small real file must each be
// parsed consistently or refused with FormatError, never crash or throw anything else.
#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "core/io/mapped_file.h"
#include "core/io/safetensors_format.h"

namespace atelier {
namespace {

constexpr std::string_view kLabel = "fuzzed.safetensors";

// A small file of real weights: a few tensors of the tiny checkpoint, some reinterpreted
// as other dtypes so that every dtype appears, plus a scalar, an empty tensor and metadata.
std::vector<std::uint8_t> small_real_file() {
  const MappedFile model(std::filesystem::path(ATELIER_TEST_DATA_DIR) / "sd1-tiny/model.safetensors");
  const SafetensorsHeader header = parse_safetensors_header(model.bytes(), model.path().string());
  auto bytes_of = [&](std::string_view name) {
    for (const TensorEntry& entry : header.tensors)
      if (entry.name == name)
        return model.bytes().subspan(header.data_offset + entry.begin, entry.end - entry.begin);
    FAIL("no tensor " << name << " in the tiny checkpoint");
    return std::span<const std::uint8_t>();
  };
  const auto bias =
      bytes_of("cond_stage_model.transformer.text_model.encoder.layers.0.layer_norm1.bias");  // 64 x F32
  const std::vector<TensorBytes> tensors = {
      {"alphas_cumprod", DType::F32, {1000}, bytes_of("alphas_cumprod")},
      {"model.diffusion_model.input_blocks.0.0.weight",
       DType::F32,
       {32, 4, 3, 3},
       bytes_of("model.diffusion_model.input_blocks.0.0.weight")},
      {"bias.f32", DType::F32, {64}, bias},
      {"bias.f16", DType::F16, {2, 64}, bias},
      {"bias.bf16", DType::BF16, {128}, bias},
      {"bias.i64", DType::I64, {4, 8}, bias},
      {"bias.i32", DType::I32, {8, 8}, bias},
      {"bias.u8", DType::U8, {16, 1, 16}, bias},
      {"scalar", DType::F32, {}, bias.first(4)},
      {"empty", DType::F16, {0, 3}, {}},
  };
  return serialize_safetensors(tensors, {{"format", "pt"}, {"source", "sd1-tiny"}});
}

// What a successful parse promises: every tensor lies inside the data section, is as long as
// its shape and dtype say, and shares no byte with another.
bool consistent(const SafetensorsHeader& header, std::span<const std::uint8_t> file) {
  if (header.data_offset < 8 || header.data_offset > file.size()) return false;
  const std::uint64_t data_size = file.size() - header.data_offset;
  std::uint64_t previous_end = 0;
  for (const TensorEntry& entry : header.tensors) {
    if (entry.begin > entry.end || entry.end > data_size) return false;
    if (entry.end - entry.begin != entry.element_count() * dtype_size(entry.dtype)) return false;
    if (entry.begin == entry.end) continue;
    if (entry.begin < previous_end) return false;
    previous_end = entry.end;
  }
  return true;
}

// Parses `variant` (its own exact-size allocation, so AddressSanitizer sees any read past it).
// Returns whether it was accepted; a refusal must be a FormatError that names the file.
bool parsed_or_refused(const std::vector<std::uint8_t>& variant) {
  try {
    const SafetensorsHeader header = parse_safetensors_header(variant, kLabel);
    CHECK(consistent(header, variant));
    return true;
  } catch (const FormatError& e) {
    CHECK(std::string_view(e.what()).starts_with(kLabel));
    return false;
  }
}

std::uint64_t data_offset_of(const std::vector<std::uint8_t>& file) {
  return parse_safetensors_header(file, kLabel).data_offset;
}

}  // namespace

TEST_CASE("safetensors fuzz: the small real file parses", "[safetensors][fuzz]") {
  const auto file = small_real_file();
  const SafetensorsHeader header = parse_safetensors_header(file, kLabel);
  CHECK(header.tensors.size() == 10);
  CHECK(header.metadata.at("source") == "sd1-tiny");
  CHECK(consistent(header, file));
}

TEST_CASE("safetensors fuzz: every truncation is refused", "[safetensors][fuzz]") {
  const auto file = small_real_file();
  const std::uint64_t data_offset = data_offset_of(file);
  std::size_t variants = 0;
  // Every length through the header, then a sample across the data (whose tensors are contiguous,
  // so any cut loses bytes of the last one).
  for (std::size_t length = 0; length < file.size(); length += length <= data_offset ? 1 : 61) {
    INFO("truncated to " << length << " of " << file.size() << " bytes");
    const std::vector<std::uint8_t> variant(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(length));
    CHECK_FALSE(parsed_or_refused(variant));
    ++variants;
  }
  CHECK(variants > data_offset);
}

TEST_CASE("safetensors fuzz: every bit flip in the header is parsed consistently or refused",
          "[safetensors][fuzz]") {
  const auto file = small_real_file();
  const std::uint64_t data_offset = data_offset_of(file);
  std::size_t accepted = 0;
  for (std::size_t bit = 0; bit < data_offset * 8; ++bit) {
    INFO("bit " << bit % 8 << " of byte " << bit / 8 << " flipped");
    std::vector<std::uint8_t> variant = file;
    variant[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    accepted += parsed_or_refused(variant);
  }
  // Flips inside names and metadata values keep the file valid; most others break it.
  CHECK(accepted > 0);
  CHECK(accepted < data_offset * 8);
}

TEST_CASE("safetensors fuzz: JSON punctuation written over each header byte", "[safetensors][fuzz]") {
  const auto file = small_real_file();
  const std::uint64_t data_offset = data_offset_of(file);
  // Structure-changing bytes reach paths single bit flips rarely do: new keys, nesting, numbers.
  const std::string replacements = std::string("\"{}[],:-.0189eE \\") + '\0' + '\xff';
  for (std::size_t position = 8; position < data_offset; ++position) {
    for (char replacement : replacements) {
      INFO("byte " << position << " replaced by " << int(static_cast<std::uint8_t>(replacement)));
      std::vector<std::uint8_t> variant = file;
      variant[position] = static_cast<std::uint8_t>(replacement);
      parsed_or_refused(variant);
    }
  }
}

}  // namespace atelier
