// Safetensors loading (zero-copy, validated) and writing, on the sd1-tiny fixtures and on
// hand-made malformed files: every defect must surface as a FormatError naming file and tensor.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "support/fixtures.h"

namespace atelier {
namespace {

using Catch::Matchers::Contains;

// A fresh directory under the system temp dir, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "atelier-io-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  std::size_t file_count() const {
    return std::distance(std::filesystem::directory_iterator(path_), std::filesystem::directory_iterator());
  }

 private:
  std::filesystem::path path_;
};

void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file with `header` as its JSON text (unpadded) and `data_size` bytes of data.
std::vector<std::uint8_t> raw_file(std::string_view header, std::size_t data_size) {
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data_size, 0);
  return bytes;
}

// The message of the FormatError that opening `bytes` (saved as `file_name`) throws; fails the
// test when opening succeeds, throws anything else, or the message does not name the file.
std::string refusal(const std::string& file_name, const std::vector<std::uint8_t>& bytes) {
  TempDir dir;
  const auto path = dir / file_name;
  write_bytes(path, bytes);
  try {
    SafetensorsFile file(path);
  } catch (const FormatError& e) {
    CHECK_THAT(e.what(), Contains(path.string()));
    return e.what();
  }
  FAIL("opening " << file_name << " did not throw FormatError");
  return {};
}

std::string refusal(const std::string& file_name, std::string_view header, std::size_t data_size) {
  return refusal(file_name, raw_file(header, data_size));
}

std::string weight_header(const nlohmann::json& entry) { return nlohmann::json{{"weight", entry}}.dump(); }

const nlohmann::json kValidWeight = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}};

bool is_ldm_schedule_buffer(const std::string& name) { return name.find('.') == std::string::npos; }

}  // namespace

// --- the fixture checkpoints ---------------------------------------------------------------

TEST_CASE("safetensors: the tiny SD1 checkpoint loads with its shapes, dtypes and metadata",
          "[safetensors]") {
  SafetensorsFile file(test::tiny_model_path());
  CHECK(file.entries().size() == 432);
  CHECK(file.metadata().at("format") == "pt");

  const TensorEntry* conv_in = file.find("model.diffusion_model.input_blocks.0.0.weight");
  REQUIRE(conv_in);
  CHECK(conv_in->dtype == DType::F32);
  CHECK(conv_in->shape == std::vector<std::int64_t>{32, 4, 3, 3});

  at::Tensor tokens =
      file.tensor("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight");
  CHECK(tokens.scalar_type() == at::kFloat);
  CHECK(tokens.sizes().vec() == std::vector<std::int64_t>{49408, 64});

  at::Tensor alphas = file.tensor("alphas_cumprod");
  CHECK(alphas.sizes().vec() == std::vector<std::int64_t>{1000});
  CHECK(alphas[0].item<float>() > alphas[999].item<float>());  // a decreasing schedule
  CHECK_FALSE(file.contains("model_ema.decay"));
}

TEST_CASE("safetensors: tensors view the mapping without copying and outlive the file", "[safetensors]") {
  const std::string first = "alphas_cumprod";
  const std::string second = "model.diffusion_model.input_blocks.0.0.weight";
  at::Tensor kept;
  double expected_sum = 0;
  {
    SafetensorsFile file(test::tiny_model_path());
    at::Tensor a = file.tensor(first);
    at::Tensor b = file.tensor(second);
    CHECK(file.tensor(first).data_ptr() == a.data_ptr());
    CHECK(file.tensor(first, at::kFloat).data_ptr() == a.data_ptr());  // no conversion, no copy
    // Both point into one buffer, exactly as far apart as their data offsets.
    const auto distance =
        static_cast<const std::uint8_t*>(b.data_ptr()) - static_cast<const std::uint8_t*>(a.data_ptr());
    CHECK(distance == static_cast<std::ptrdiff_t>(file.find(second)->begin - file.find(first)->begin));
    kept = b;
    expected_sum = b.sum().item<double>();
  }
  CHECK(kept.sum().item<double>() == expected_sum);
}

TEST_CASE("safetensors: the fp16 checkpoint converts to the identical F32 network weights", "[safetensors]") {
  SafetensorsFile fp32(test::tiny_model_path());
  SafetensorsFile fp16(test::tiny_fp16_model_path());
  REQUIRE(fp16.entries().size() == fp32.entries().size());

  std::size_t compared = 0;
  for (const TensorEntry& entry : fp32.entries()) {
    INFO(entry.name);
    REQUIRE(fp16.contains(entry.name));
    CHECK(fp16.find(entry.name)->dtype == DType::F16);
    if (is_ldm_schedule_buffer(entry.name)) continue;  // only these lose precision in F16
    at::Tensor converted = fp16.tensor(entry.name, at::kFloat);
    CHECK(converted.scalar_type() == at::kFloat);
    CHECK(at::equal(converted, fp32.tensor(entry.name)));
    ++compared;
  }
  CHECK(compared == 420);
}

// --- writing -------------------------------------------------------------------------------

TEST_CASE("safetensors: every dtype, scalars, empty and strided tensors round-trip with metadata",
          "[safetensors]") {
  TempDir dir;
  const auto path = dir / "round-trip.safetensors";
  const std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"f32", at::randn({2, 3})},
      {"f16", at::randn({4, 1}).to(at::kHalf)},
      {"bf16", at::randn({3}).to(at::kBFloat16)},
      {"i64", at::arange(-3, 3, at::kLong) * std::int64_t{1'000'000'000'000}},
      {"i32", at::arange(-5, 5, at::kInt).reshape({2, 5})},
      {"u8", at::arange(0, 256, at::kLong).to(at::kByte)},
      {"scalar", at::scalar_tensor(3.5)},
      {"empty", at::empty({0, 4})},
      {"transposed", at::randn({3, 4}).t()},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcødé, \"quoted\""}};
  write_safetensors(path, tensors, metadata);
  CHECK(dir.file_count() == 1);  // no temporary file left behind

  SafetensorsFile file(path);
  CHECK(file.metadata() == metadata);
  REQUIRE(file.entries().size() == tensors.size());
  for (const auto& [name, expected] : tensors) {
    INFO(name);
    at::Tensor actual = file.tensor(name);
    CHECK(actual.scalar_type() == expected.scalar_type());
    CHECK(actual.sizes().vec() == expected.sizes().vec());
    CHECK(at::equal(actual, expected));
  }
}

TEST_CASE("safetensors: serialised headers are padded to 8 bytes and offsets follow name order",
          "[safetensors]") {
  const std::vector<std::uint8_t> three(3), eight(8);
  const auto bytes =
      serialize_safetensors({{"b", DType::U8, {3}, three}, {"a", DType::F32, {2}, eight}}, {{"k", "v"}});
  const SafetensorsHeader header = parse_safetensors_header(bytes, "serialised");
  CHECK(header.data_offset % 8 == 0);
  CHECK(bytes[header.data_offset - 1] == ' ');
  REQUIRE(header.tensors.size() == 2);
  CHECK(header.tensors[0].name == "a");
  CHECK(header.tensors[0].begin == 0);
  CHECK(header.tensors[1].begin == 8);
  CHECK(header.metadata.at("k") == "v");
}

TEST_CASE("safetensors: writing refuses tensors it cannot store, naming file and tensor", "[safetensors]") {
  TempDir dir;
  const auto path = dir / "refused.safetensors";
  const std::vector<std::pair<std::string, at::Tensor>> doubles = {{"doubles", at::zeros({2}, at::kDouble)}};
  CHECK_THROWS_AS(write_safetensors(path, doubles), InvalidArgument);
  CHECK_THROWS_WITH(write_safetensors(path, doubles), Contains(path.string()) && Contains("'doubles'"));
  CHECK_THROWS_AS(write_safetensors(path, {{"twice", at::zeros({2})}, {"twice", at::ones({2})}}),
                  InvalidArgument);
  CHECK(dir.file_count() == 0);
}

TEST_CASE("safetensors: a streamed write gives the same file, and a failing producer leaves none",
          "[safetensors]") {
  TempDir dir;
  const std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"weight", at::randn({3, 4})}, {"bias", at::randn({3}).to(at::kHalf)}};
  write_safetensors(dir / "whole.safetensors", tensors, {{"k", "v"}});

  std::vector<TensorLayout> layouts = {{"weight", DType::F32, {3, 4}}, {"bias", DType::F16, {3}}};
  std::vector<std::string> produced;
  write_safetensors_streamed(dir / "streamed.safetensors", layouts, [&](const TensorLayout& layout) {
    produced.push_back(layout.name);
    return layout.name == "weight" ? tensors[0].second : tensors[1].second;
  }, {{"k", "v"}});
  CHECK(produced == std::vector<std::string>{"bias", "weight"});  // name order, once each
  auto bytes = [&](const char* name) {
    std::ifstream in(dir / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(bytes("whole.safetensors") == bytes("streamed.safetensors"));

  CHECK_THROWS_AS(write_safetensors_streamed(dir / "failed.safetensors", layouts,
                                             [](const TensorLayout&) -> at::Tensor { throw Error("no data"); }),
                  Error);
  CHECK_THROWS_AS(write_safetensors_streamed(dir / "failed.safetensors", layouts,
                                             [](const TensorLayout&) { return at::zeros({2}); }),
                  InvalidArgument);
  CHECK(dir.file_count() == 2);
}

TEST_CASE("safetensors: a failed write names the file, leaves no temporary and keeps the old file",
          "[safetensors]") {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  write_safetensors(path, {{"old", at::ones({4})}});

  SECTION("the disk fills up (simulated with a file size limit)") {
    rlimit previous{};
    ::getrlimit(RLIMIT_FSIZE, &previous);
    auto previous_handler = ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    rlimit limited = previous;
    limited.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &limited);
    CHECK_THROWS_WITH(write_safetensors(path, {{"big", at::zeros({100'000})}}), Contains(path.string()));
    ::setrlimit(RLIMIT_FSIZE, &previous);
    ::signal(SIGXFSZ, previous_handler);
  }
  SECTION("the directory does not exist") {
    const auto missing = dir / "missing" / "model.safetensors";
    CHECK_THROWS_WITH(write_safetensors(missing, {{"new", at::zeros({4})}}),
                      Contains(missing.string()) && Contains("No such file or directory"));
  }
  SECTION("the target is a directory") {
    std::filesystem::create_directory(dir / "folder");
    CHECK_THROWS_WITH(write_safetensors(dir / "folder", {{"new", at::zeros({4})}}),
                      Contains((dir / "folder").string()));
    std::filesystem::remove(dir / "folder");
  }
  CHECK(dir.file_count() == 1);
  CHECK(at::equal(SafetensorsFile(path).tensor("old"), at::ones({4})));
}

// --- accepted oddities ---------------------------------------------------------------------

TEST_CASE("safetensors: a misaligned data section is copied out with the right values", "[safetensors]") {
  TempDir dir;
  const auto path = dir / "misaligned.safetensors";
  const std::string header = R"({"weight":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}} )";
  REQUIRE((8 + header.size()) % alignof(float) != 0);
  auto bytes = raw_file(header, 0);
  for (float value : {1.5f, -2.0f, 3.25f}) {
    const auto* raw = reinterpret_cast<const std::uint8_t*>(&value);
    bytes.insert(bytes.end(), raw, raw + sizeof value);
  }
  write_bytes(path, bytes);

  at::Tensor weight = SafetensorsFile(path).tensor("weight");
  CHECK(reinterpret_cast<std::uintptr_t>(weight.data_ptr()) % alignof(float) == 0);
  CHECK(at::equal(weight, at::tensor({1.5f, -2.0f, 3.25f})));
}

// --- malformed files: one defect each ----------------------------------------------------

TEST_CASE("safetensors malformed: a missing file names the file and the reason", "[safetensors][malformed]") {
  TempDir dir;
  const auto path = dir / "absent.safetensors";
  CHECK_THROWS_WITH(SafetensorsFile(path), Contains(path.string()) && Contains("No such file or directory"));
}

TEST_CASE("safetensors malformed: an empty file", "[safetensors][malformed]") {
  CHECK_THAT(refusal("empty.safetensors", std::vector<std::uint8_t>{}), Contains("empty"));
}

TEST_CASE("safetensors malformed: a file shorter than the 8-byte header length", "[safetensors][malformed]") {
  CHECK_THAT(refusal("short.safetensors", std::vector<std::uint8_t>{1, 0, 0}), Contains("too short"));
}

TEST_CASE("safetensors malformed: a header length past the end of the file", "[safetensors][malformed]") {
  auto bytes = raw_file("{}", 0);
  bytes[0] = 200;
  CHECK_THAT(refusal("past-end.safetensors", bytes), Contains("200") && Contains("past the end"));
}

TEST_CASE("safetensors malformed: an absurdly large header length", "[safetensors][malformed]") {
  auto bytes = raw_file("{}", 0);
  bytes[5] = 1;  // 2^40
  CHECK_THAT(refusal("huge-header.safetensors", bytes), Contains("100 MB"));
}

TEST_CASE("safetensors malformed: a header that is not JSON", "[safetensors][malformed]") {
  CHECK_THAT(refusal("not-json.safetensors", R"({"weight": {"dtype": "F32",)", 0),
             Contains("not valid JSON"));
}

TEST_CASE("safetensors malformed: a header that is not a JSON object", "[safetensors][malformed]") {
  CHECK_THAT(refusal("array.safetensors", "[1, 2]", 0), Contains("not a JSON object"));
}

TEST_CASE("safetensors malformed: a header nested absurdly deep", "[safetensors][malformed]") {
  std::string deep = R"({"weight": {"dtype": "F32", "shape": )";
  deep.append(100, '[').append(100, ']').append("}}");
  CHECK_THAT(refusal("deep.safetensors", deep, 0), Contains("nested too deeply"));
}

TEST_CASE("safetensors malformed: an entry that is not an object", "[safetensors][malformed]") {
  CHECK_THAT(refusal("entry.safetensors", R"({"weight": [0, 8]})", 8),
             Contains("'weight'") && Contains("not a JSON object"));
}

TEST_CASE("safetensors malformed: an entry missing a field", "[safetensors][malformed]") {
  const std::string field = GENERATE("dtype", "shape", "data_offsets");
  nlohmann::json entry = kValidWeight;
  entry.erase(field);
  CHECK_THAT(refusal("missing-" + field + ".safetensors", weight_header(entry), 8),
             Contains("'weight'") && Contains("missing \"" + field + "\""));
}

TEST_CASE("safetensors malformed: an entry field of the wrong type", "[safetensors][malformed]") {
  const auto [field, value] = GENERATE(table<std::string, nlohmann::json>({
      {"dtype", 32},
      {"shape", "2"},
      {"data_offsets", nlohmann::json::array({0})},
      {"data_offsets", nlohmann::json::array({0, "8"})},
      {"data_offsets", nlohmann::json::array({-4, 8})},
  }));
  nlohmann::json entry = kValidWeight;
  entry[field] = value;
  CHECK_THAT(refusal("wrong-" + field + ".safetensors", weight_header(entry), 8),
             Contains("'weight'") && Contains("\"" + field + "\""));
}

TEST_CASE("safetensors malformed: a negative shape dimension", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [2, -2], "data_offsets": [0, 16]}})";
  CHECK_THAT(refusal("negative-dim.safetensors", header, 16), Contains("'weight'") && Contains("-2"));
}

TEST_CASE("safetensors malformed: a non-integer shape dimension", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})";
  CHECK_THAT(refusal("fractional-dim.safetensors", header, 8), Contains("'weight'") && Contains("2.5"));
}

TEST_CASE("safetensors malformed: a shape whose element count overflows", "[safetensors][malformed]") {
  const std::string header =
      R"({"weight": {"dtype": "U8", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 0]}})";
  CHECK_THAT(refusal("overflow.safetensors", header, 0),
             Contains("'weight'") && Contains("too many elements"));
}

TEST_CASE("safetensors malformed: an unknown dtype", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}})";
  CHECK_THAT(refusal("unknown-dtype.safetensors", header, 8), Contains("'weight'") && Contains("F8_E4M3"));
}

TEST_CASE("safetensors malformed: data offsets past the data section", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})";
  CHECK_THAT(refusal("out-of-range.safetensors", header, 8),
             Contains("'weight'") && Contains("past the data section"));
}

TEST_CASE("safetensors malformed: data offsets that begin after they end", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})";
  CHECK_THAT(refusal("reversed.safetensors", header, 8), Contains("'weight'") && Contains("begin after"));
}

TEST_CASE("safetensors malformed: overlapping tensors", "[safetensors][malformed]") {
  const std::string header = R"({"first": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "second": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})";
  CHECK_THAT(refusal("overlap.safetensors", header, 12),
             Contains("'first'") && Contains("'second'") && Contains("overlap"));
}

TEST_CASE("safetensors malformed: a byte length that does not match shape and dtype",
          "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})";
  CHECK_THAT(refusal("length.safetensors", header, 8),
             Contains("'weight'") && Contains("needs 12"));
}

TEST_CASE("safetensors malformed: a tensor name used twice", "[safetensors][malformed]") {
  const std::string header = R"({"weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "weight": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})";
  CHECK_THAT(refusal("duplicate.safetensors", header, 16),
             Contains("'weight'") && Contains("more than once"));
}

TEST_CASE("safetensors malformed: a field given twice in one entry", "[safetensors][malformed]") {
  const std::string header =
      R"({"weight": {"dtype": "F32", "dtype": "U8", "shape": [2], "data_offsets": [0, 8]}})";
  CHECK_THAT(refusal("duplicate-field.safetensors", header, 8),
             Contains("'weight'") && Contains("'dtype'") && Contains("more than once"));
}

TEST_CASE("safetensors malformed: metadata that is not an object", "[safetensors][malformed]") {
  CHECK_THAT(refusal("metadata-array.safetensors", R"({"__metadata__": ["pt"]})", 0),
             Contains("__metadata__"));
}

TEST_CASE("safetensors malformed: a metadata value that is not a string", "[safetensors][malformed]") {
  CHECK_THAT(refusal("metadata-number.safetensors", R"({"__metadata__": {"steps": 20}})", 0),
             Contains("__metadata__") && Contains("'steps'"));
}

TEST_CASE("safetensors malformed: asking for an absent tensor names file and tensor",
          "[safetensors][malformed]") {
  SafetensorsFile file(test::tiny_model_path());
  CHECK_THROWS_AS(file.tensor("model.diffusion_model.nope"), FormatError);
  CHECK_THROWS_WITH(file.tensor("model.diffusion_model.nope"),
                    Contains("model.safetensors") && Contains("'model.diffusion_model.nope'"));
}

}  // namespace atelier
