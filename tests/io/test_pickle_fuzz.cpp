// The checkpoint reader's LibTorch-free layers (ZIP, restricted unpickler, legacy layout) against
// corrupted input, built with AddressSanitizer: every truncation and bit flip of small real
// checkpoints must be read consistently or refused with FormatError, never crash or over-read.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/error.h"
#include "core/io/pickle.h"
#include "core/io/torch_checkpoint_format.h"
#include "io/pickle_builder.h"

namespace atelier {
namespace {

constexpr std::string_view kLabel = "fuzzed.ckpt";
using ValueKind = RawPickleValue::Kind;

// Reads every byte a value refers to, so that AddressSanitizer sees any dangling or
// out-of-range view; checks each tensor view against its storage.
std::uint64_t walk(const RawPickleValue& value, const CheckpointLayout* layout) {
  std::uint64_t sum = 0;
  switch (value.kind()) {
    case ValueKind::String:
    case ValueKind::Bytes:
    case ValueKind::Global:
    case ValueKind::BigInt:
      for (char c : value.text()) sum += static_cast<unsigned char>(c);
      break;
    case ValueKind::List:
    case ValueKind::Tuple:
      for (const RawPickleValue& element : value.elements()) sum += walk(element, layout);
      break;
    case ValueKind::Dict:
      for (const auto& [key, item] : value.items()) sum += walk(key, layout) + walk(item, layout);
      break;
    case ValueKind::Tensor: {
      const TensorRef& tensor = value.tensor();
      std::uint64_t last = tensor.offset, count = 1;
      for (std::size_t i = 0; i < tensor.sizes.size(); ++i) {
        count *= tensor.sizes[i];
        if (tensor.sizes[i] > 0) last += (tensor.sizes[i] - 1) * tensor.strides[i];
      }
      CHECK(tensor.sizes.size() == tensor.strides.size());
      if (count > 0) CHECK(last < tensor.storage_numel);
      if (layout) {
        const auto storage = layout->storages.find(tensor.storage_key);
        REQUIRE(storage != layout->storages.end());
        CHECK(storage->second.numel == tensor.storage_numel);
        CHECK(storage->second.bytes.size() == tensor.storage_numel * storage_element_size(tensor.type));
        for (std::uint8_t byte : storage->second.bytes) sum += byte;
      }
      break;
    }
    default:
      break;
  }
  return sum;
}

// Parses `variant` (its own exact-size allocation, so AddressSanitizer sees any read past it).
// Returns whether it was accepted; a refusal must be a FormatError that names the file.
bool parsed_or_refused(const std::vector<std::uint8_t>& variant) {
  try {
    const CheckpointLayout layout = parse_torch_checkpoint(variant, std::string(kLabel));
    walk(layout.object, &layout);
    return true;
  } catch (const FormatError& e) {
    CHECK(std::string_view(e.what()).starts_with(kLabel));
    return false;
  }
}

bool unpickled_or_refused(const std::vector<std::uint8_t>& variant) {
  try {
    walk(unpickle(variant, kLabel).value, nullptr);
    return true;
  } catch (const FormatError& e) {
    CHECK(std::string_view(e.what()).starts_with(kLabel));
    return false;
  }
}

template <class Parse>
void every_truncation_refused(const std::vector<std::uint8_t>& file, Parse parse) {
  for (std::size_t length = 0; length < file.size(); ++length) {
    const std::vector<std::uint8_t> prefix(file.begin(), file.begin() + length);
    CHECK_FALSE(parse(prefix));
  }
}

template <class Parse>
std::size_t every_bit_flip(const std::vector<std::uint8_t>& file, Parse parse) {
  std::size_t accepted = 0;
  for (std::size_t at = 0; at < file.size(); ++at)
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::uint8_t> flipped = file;
      flipped[at] ^= static_cast<std::uint8_t>(1 << bit);
      accepted += parse(flipped);
    }
  return accepted;
}

// Bytes set to values that length and count fields make interesting, a few at a time.
template <class Parse>
void random_overwrites(const std::vector<std::uint8_t>& file, Parse parse, int variants) {
  std::mt19937 random(20240611);
  constexpr std::uint8_t kValues[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '(', ')', '.', 'R', 'Q', 'h', 'q', 'e', 'u', 'a'};
  for (int i = 0; i < variants; ++i) {
    std::vector<std::uint8_t> variant = file;
    const int changes = 1 + static_cast<int>(random() % 4);
    for (int c = 0; c < changes; ++c)
      variant[random() % variant.size()] = kValues[random() % std::size(kValues)];
    parse(variant);
  }
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("the small checkpoints are read before being corrupted") {
  CHECK(parsed_or_refused(test::small_checkpoint_zip()));
  CHECK(parsed_or_refused(test::small_checkpoint_zip("big", true)));
  CHECK(parsed_or_refused(test::small_checkpoint_zip("d", false, true)));
  CHECK(parsed_or_refused(test::small_checkpoint_legacy()));
  CHECK(unpickled_or_refused(test::small_checkpoint().pickle));
}

TEST_CASE("a corrupted data.pkl is read consistently or refused") {
  const std::vector<std::uint8_t> pickle = test::small_checkpoint().pickle;
  every_truncation_refused(pickle, unpickled_or_refused);
  every_bit_flip(pickle, unpickled_or_refused);
  random_overwrites(pickle, unpickled_or_refused, 10000);
}

TEST_CASE("a corrupted torch zip archive is read consistently or refused") {
  for (const auto& zip : {test::small_checkpoint_zip(), test::small_checkpoint_zip("big", true),
                          test::small_checkpoint_zip("d", false, true)}) {
    every_truncation_refused(zip, parsed_or_refused);
    every_bit_flip(zip, parsed_or_refused);
    random_overwrites(zip, parsed_or_refused, 5000);
  }
}

TEST_CASE("a corrupted legacy checkpoint is read consistently or refused") {
  const std::vector<std::uint8_t> legacy = test::small_checkpoint_legacy();
  every_truncation_refused(legacy, parsed_or_refused);
  every_bit_flip(legacy, parsed_or_refused);
  random_overwrites(legacy, parsed_or_refused, 10000);
}

#ifdef ATELIER_FIXTURES_DIR
// Real torch.save output when the fixtures are there: a textual-inversion .pt and the data.pkl
// of the fixture that hides a payload among real tensors.
TEST_CASE("corrupted real torch.save files are read consistently or refused") {
  const std::filesystem::path fixtures(ATELIER_FIXTURES_DIR);
  const auto embedding = read_file(fixtures / "sd1-tiny-networks/embeddings/tinystyle.pt");
  REQUIRE(parsed_or_refused(embedding));
  every_truncation_refused(embedding, parsed_or_refused);
  every_bit_flip(embedding, parsed_or_refused);

  const auto legacy_payload = read_file(fixtures / "sd1-tiny-formats/malicious/legacy_payload.ckpt");
  CHECK_FALSE(parsed_or_refused(legacy_payload));
  every_bit_flip(legacy_payload, parsed_or_refused);
}
#endif

}  // namespace
}  // namespace atelier
