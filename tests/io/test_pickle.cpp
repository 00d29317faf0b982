// The restricted unpickler and the ZIP reader on hand-built input: what torch.save writes is
// read exactly; every way a pickle can name or call code is refused with the global named.
#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "core/io/pickle.h"
#include "core/io/torch_checkpoint_format.h"
#include "core/io/zip_archive.h"
#include "io/pickle_builder.h"

namespace atelier {
namespace {

using test::PickleBuilder;
using Kind = RawPickleValue::Kind;

RawPickleValue unpickled(const PickleBuilder& pickle) { return unpickle(pickle.bytes(), "test.pkl").value; }

// The FormatError message unpickling `pickle` gives (and that it names the file).
std::string refusal(const PickleBuilder& pickle) {
  try {
    unpickle(pickle.bytes(), "test.pkl");
  } catch (const FormatError& e) {
    const std::string message = e.what();
    CHECK(message.starts_with("test.pkl: "));
    return message;
  }
  FAIL("the pickle was accepted");
  return {};
}

TEST_CASE("a torch.save state dict gives its tensors as views of the storages, in elements") {
  const test::SmallCheckpoint checkpoint = test::small_checkpoint();
  const Unpickled result = unpickle(checkpoint.pickle, "small.pkl");
  CHECK(result.end == checkpoint.pickle.size());
  const RawPickleValue& root = result.value;
  REQUIRE(root.is(Kind::Dict));
  CHECK(root.find("global_step")->as_int() == 470000);
  const RawPickleValue* state_dict = root.find("state_dict");
  REQUIRE(state_dict);
  REQUIRE(state_dict->items().size() == 4);
  CHECK(state_dict->items()[0].first.as_string() == "w16");
  CHECK(state_dict->items()[3].first.as_string() == "num_updates");

  const TensorRef& w32 = state_dict->find("w32")->tensor();
  CHECK(w32.storage_key == "1");
  CHECK(w32.type == StorageType::Float);
  CHECK(w32.storage_numel == 8);
  CHECK(w32.location == "cpu");
  CHECK(w32.offset == 2);
  CHECK(w32.sizes == std::vector<std::int64_t>{3, 2});
  CHECK(w32.strides == std::vector<std::int64_t>{1, 3});
  CHECK_FALSE(w32.requires_grad);
  CHECK(state_dict->find("ids")->tensor().type == StorageType::Long);
  CHECK(state_dict->find("num_updates")->tensor().sizes.empty());

  // The Lightning callback's class is kept as an inert name, usable as a dict key.
  const auto& callbacks = root.find("callbacks")->items();
  REQUIRE(callbacks.size() == 1);
  CHECK(callbacks[0].first.is(Kind::Global));
  CHECK(callbacks[0].first.text() == "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint");
  CHECK(callbacks[0].second.find("dirpath")->as_string() == "logs");
}

TEST_CASE("globals outside the allowlist are refused however the pickle names them") {
  SECTION("GLOBAL + REDUCE") {
    PickleBuilder p;
    p.proto(2).global("os", "system").unicode("echo hi").byte(0x85).op('R').stop();
    const std::string message = refusal(p);
    CHECK(message.find("refused") != std::string::npos);
    CHECK(message.find("'os.system'") != std::string::npos);
    CHECK(message.find("nothing was run") != std::string::npos);
  }
  SECTION("__builtin__.eval, which protocol 2 writes for builtins.eval") {
    PickleBuilder p;
    p.proto(2).global("__builtin__", "eval").unicode("1+1").byte(0x85).op('R').stop();
    CHECK(refusal(p).find("'__builtin__.eval'") != std::string::npos);
  }
  SECTION("STACK_GLOBAL, which names the global from two strings on the stack") {
    PickleBuilder p;
    p.proto(4).byte(0x8c).le(2, 1).raw("os").byte(0x8c).le(6, 1).raw("system").byte(0x93);
    p.byte(0x8c).le(2, 1).raw("ls").byte(0x85).op('R').stop();
    CHECK(refusal(p).find("'os.system'") != std::string::npos);
  }
  SECTION("INST, which resolves and calls in one opcode") {
    PickleBuilder p;
    p.op('(').raw("S'echo hi'\n").op('i').raw("os\nsystem\n").stop();
    CHECK(refusal(p).find("'os.system'") != std::string::npos);
  }
  SECTION("a look-alike of an allowed name") {
    PickleBuilder p;
    p.proto(2).global("torch._utils", "_rebuild_tensor_v3").stop();
    CHECK(refusal(p).find("'torch._utils._rebuild_tensor_v3'") != std::string::npos);
    PickleBuilder q;
    q.proto(2).global("collections", std::string_view("OrderedDict\0", 12)).stop();
    CHECK(refusal(q).find("refused") != std::string::npos);
  }
  SECTION("a forbidden global in a memo, even when never called") {
    PickleBuilder p;
    p.proto(2).global("posix", "system").put(0).op('0').op('N').stop();
    CHECK(refusal(p).find("'posix.system'") != std::string::npos);
  }
}

TEST_CASE("allowed globals are callable only as a model file calls them") {
  SECTION("a memoised OrderedDict used again through BINGET") {
    PickleBuilder p;
    p.proto(2).op('(').global("collections", "OrderedDict").put(0).op(')').op('R');
    p.get(0).op(')').op('R').op('l').stop();
    const RawPickleValue value = unpickled(p);
    REQUIRE(value.elements().size() == 2);
    CHECK(value.elements()[1].is(Kind::Dict));
  }
  SECTION("the inert Lightning class called through REDUCE") {
    PickleBuilder p;
    p.proto(2).global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").op(')').op('R').stop();
    const std::string message = refusal(p);
    CHECK(message.find("'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint'") != std::string::npos);
    CHECK(message.find("never call") != std::string::npos);
  }
  SECTION("the inert class memoised and called through BINGET, NEWOBJ, OBJ") {
    PickleBuilder p;
    p.proto(2).global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").put(3).op('0');
    p.get(3).op(')').op('R').stop();
    CHECK(refusal(p).find("never call") != std::string::npos);
    PickleBuilder q;
    q.proto(2).global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").op(')').byte(0x81).stop();
    CHECK(refusal(q).find("never call") != std::string::npos);
    PickleBuilder r;
    r.op('(').global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").op('o').stop();
    CHECK(refusal(r).find("never call") != std::string::npos);
  }
  SECTION("a storage class called instead of named in a persistent id") {
    PickleBuilder p;
    p.proto(2).global("torch", "FloatStorage").op(')').op('R').stop();
    CHECK(refusal(p).find("'torch.FloatStorage'") != std::string::npos);
  }
  SECTION("OrderedDict called with arguments") {
    PickleBuilder p;
    p.proto(2).global("collections", "OrderedDict").op(']').byte(0x85).op('R').stop();
    CHECK(refusal(p).find("arguments") != std::string::npos);
  }
  SECTION("a tensor with backward hooks") {
    PickleBuilder p;
    p.proto(2).global("torch._utils", "_rebuild_tensor_v2").op('(').storage("FloatStorage", "0", 4).integer(0);
    p.int_tuple({4}).int_tuple({1}).byte(0x89).op('}').unicode("hook").op('N').op('s').op('t').op('R').stop();
    CHECK(refusal(p).find("backward hooks") != std::string::npos);
  }
  SECTION("a parameter wraps its tensor") {
    PickleBuilder p;
    p.proto(2).global("torch._utils", "_rebuild_parameter").op('(');
    p.tensor("FloatStorage", "0", 4, 0, {4}, {1}).byte(0x88).global("collections", "OrderedDict").op(')').op('R');
    p.op('t').op('R').stop();
    const TensorRef tensor = unpickled(p).tensor();
    CHECK(tensor.requires_grad);
    CHECK(tensor.sizes == std::vector<std::int64_t>{4});
  }
}

TEST_CASE("persistent ids other than torch storages are refused") {
  PickleBuilder text_id;
  text_id.proto(2).op('P').raw("anything\n").stop();
  CHECK(refusal(text_id).find("not a torch storage") != std::string::npos);
  PickleBuilder other;
  other.proto(2).op('(').unicode("module").unicode("x").op('t').op('Q').stop();
  CHECK(refusal(other).find("not a torch storage") != std::string::npos);
  PickleBuilder bad_type;
  bad_type.proto(2).op('(').unicode("storage").unicode("FloatStorage").unicode("0").unicode("cpu").integer(1);
  bad_type.op('t').op('Q').stop();
  CHECK(refusal(bad_type).find("persistent id") != std::string::npos);
  PickleBuilder renamed;  // the same storage key with another size
  renamed.proto(2).op('(').storage("FloatStorage", "0", 4).storage("FloatStorage", "0", 5).op('l').stop();
  CHECK(refusal(renamed).find("named twice") != std::string::npos);
}

TEST_CASE("tensor views must lie inside their storage") {
  auto view = [](std::int64_t numel, std::int64_t offset, std::vector<std::int64_t> size, std::vector<std::int64_t> stride) {
    PickleBuilder p;
    p.proto(2).tensor("FloatStorage", "0", numel, offset, size, stride).stop();
    return p;
  };
  CHECK(unpickled(view(12, 0, {3, 4}, {4, 1})).tensor().sizes == std::vector<std::int64_t>{3, 4});
  CHECK(unpickled(view(12, 11, {}, {})).tensor().offset == 11);
  CHECK(unpickled(view(0, 5, {0, 3}, {3, 1})).tensor().sizes[0] == 0);  // empty: nothing is read
  CHECK(refusal(view(12, 1, {3, 4}, {4, 1})).find("reaches element 12 of a storage of 12") != std::string::npos);
  CHECK(refusal(view(12, 12, {}, {})).find("reaches element 12") != std::string::npos);
  CHECK(refusal(view(12, 0, {3, 4}, {4})).find("strides") != std::string::npos);
  CHECK(refusal(view(12, 0, {2, 2}, {0x7FFFFFFF, 1})).find("reaches element") != std::string::npos);
  PickleBuilder huge;  // sizes whose product overflows
  huge.proto(2).global("torch._utils", "_rebuild_tensor_v2").op('(').storage("FloatStorage", "0", 4).integer(0);
  huge.op('(');
  for (int i = 0; i < 5; ++i) huge.op('J').le(0x7FFFFFFF, 4);
  huge.op('t').op('(');
  for (int i = 0; i < 5; ++i) huge.integer(0);
  huge.op('t').byte(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R').stop();
  CHECK(refusal(huge).find("more elements than can be counted") != std::string::npos);
}

TEST_CASE("truncated pickles are errors, never a partial result") {
  const test::SmallCheckpoint checkpoint = test::small_checkpoint();
  for (std::size_t length = 0; length < checkpoint.pickle.size(); ++length) {
    const std::vector<std::uint8_t> prefix(checkpoint.pickle.begin(), checkpoint.pickle.begin() + length);
    try {
      unpickle(prefix, "cut.pkl");
      FAIL("a pickle cut at byte " << length << " was accepted");
    } catch (const FormatError& e) {
      CHECK(std::string_view(e.what()).starts_with("cut.pkl: truncated"));
    }
  }
}

TEST_CASE("nesting and sizes are bounded: no stack overflow, no huge allocation") {
  SECTION("lists nested a million deep through APPEND") {
    PickleBuilder p;
    p.proto(2);
    for (int i = 0; i < 1'000'000; ++i) p.op(']');
    for (int i = 0; i < 999'999; ++i) p.op('a');
    p.stop();
    CHECK(refusal(p).find("nests deeper") != std::string::npos);
  }
  SECTION("a million MARKs, then lists closing them") {
    PickleBuilder p;
    for (int i = 0; i < 1'000'000; ++i) p.op('(');
    for (int i = 0; i < 1'000'000; ++i) p.op('l');
    p.stop();
    CHECK(refusal(p).find("nests deeper") != std::string::npos);
  }
  SECTION("a list that contains itself") {
    PickleBuilder p;
    p.proto(2).op(']').put(0).get(0).op('a').stop();
    CHECK(refusal(p).find("contains itself") != std::string::npos);
  }
  SECTION("shared references doubling a list 40 times") {
    PickleBuilder p;
    p.proto(2).unicode(std::string(100, 'x'));
    for (int i = 0; i < 40; ++i) p.op('2').byte(0x86);  // DUP, TUPLE2: (x, x)
    p.stop();
    CHECK(refusal(p).find("far larger than itself") != std::string::npos);
  }
  SECTION("length fields beyond the data") {
    PickleBuilder long4;
    long4.proto(2).byte(0x8b).le(0x7FFFFFFF, 4).stop();
    CHECK(refusal(long4).find("truncated") != std::string::npos);
    PickleBuilder negative;
    negative.proto(2).byte(0x8b).le(0xFFFFFFFF, 4).stop();
    CHECK(refusal(negative).find("negative length") != std::string::npos);
    PickleBuilder unicode8;
    unicode8.proto(4).byte(0x8d).le(~std::uint64_t(0), 8).stop();
    CHECK(refusal(unicode8).find("truncated") != std::string::npos);
    PickleBuilder bytes8;
    bytes8.proto(4).byte(0x8e).le(std::uint64_t(1) << 62, 8).raw("abc").stop();
    CHECK(refusal(bytes8).find("truncated") != std::string::npos);
    PickleBuilder frame;
    frame.proto(4).byte(0x95).le(1000, 8).op('N').stop();
    CHECK(refusal(frame).find("truncated") != std::string::npos);
    PickleBuilder binunicode;
    binunicode.proto(2).op('X').le(0x7FFFFFF0, 4).stop();
    CHECK(refusal(binunicode).find("truncated") != std::string::npos);
  }
  SECTION("a memo index that was never stored") {
    PickleBuilder p;
    p.proto(2).op('j').le(0xFFFFFFFF, 4).stop();
    CHECK(refusal(p).find("never stored") != std::string::npos);
  }
  SECTION("stack underflow below a MARK") {
    PickleBuilder p;
    p.proto(2).op('N').op('(').op('N').op(0x86).stop();
    CHECK(refusal(p).find("stack") != std::string::npos);
  }
}

TEST_CASE("scalars of every protocol read as Python reads them") {
  SECTION("protocol 0 text opcodes") {
    PickleBuilder p;
    p.raw("(dp0\nVa\\u00e9\np1\nI1\nsVb\np2\n(lp3\nF1.5\naS'x\\ny'\np4\naI01\naL12345678901234L\nag1\nas.");
    const RawPickleValue value = unpickled(p);
    CHECK(value.find("a\xc3\xa9")->as_int() == 1);
    const auto& list = value.find("b")->elements();
    REQUIRE(list.size() == 5);
    CHECK(list[0].as_float() == 1.5);
    CHECK(list[1].as_string() == "x\ny");
    CHECK(list[2].as_bool());
    CHECK(list[3].as_int() == 12345678901234);
    CHECK(list[4].as_string() == "a\xc3\xa9");  // the memoised key
  }
  SECTION("binary integers, floats, bytes") {
    PickleBuilder p;
    p.proto(3).op('(').op('J').le(0xFFFFFFFE, 4).byte(0x8a).le(2, 1).le(0xFF7F, 2).byte(0x8a).le(1, 1).le(0xFF, 1);
    p.op('G').byte(0x3f).byte(0xf8).le(0, 6).op('C').le(2, 1).raw("\x01\x02").byte(0x89).op('N').op('l').stop();
    const RawPickleValue value = unpickled(p);
    const auto& list = value.elements();
    REQUIRE(list.size() == 7);
    CHECK(list[0].as_int() == -2);
    CHECK(list[1].as_int() == -129);
    CHECK(list[2].as_int() == -1);
    CHECK(list[3].as_float() == 1.5);
    CHECK(list[4].is(Kind::Bytes));
    CHECK(list[4].text() == "\x01\x02");
    CHECK_FALSE(list[5].as_bool());
    CHECK(list[6].is(Kind::None));
  }
  SECTION("torch's legacy magic number, an int beyond 64 bits") {
    PickleBuilder p;
    p.proto(2).byte(0x8a).le(10, 1).le(0x469cfc6c, 4).le(0xa86a20f9, 4).le(0x1950, 2).stop();
    const RawPickleValue value = unpickled(p);
    CHECK(value.is(Kind::BigInt));
    CHECK(value.text().size() == 10);
  }
  SECTION("a later SETITEM of the same key replaces the value in place") {
    PickleBuilder p;
    p.proto(2).op('}').op('(').unicode("a").integer(1).unicode("b").integer(2).unicode("a").integer(3).op('u').stop();
    const RawPickleValue value = unpickled(p);
    REQUIRE(value.items().size() == 2);
    CHECK(value.items()[0].first.as_string() == "a");
    CHECK(value.items()[0].second.as_int() == 3);

    PickleBuilder numbers;  // {1: 'a', True: 'b'} is {1: 'b'} in Python
    numbers.proto(2).op('}').op('(').integer(1).unicode("a").byte(0x88).unicode("b").op('u').stop();
    const RawPickleValue merged = unpickled(numbers);
    REQUIRE(merged.items().size() == 1);
    CHECK(merged.items()[0].first.as_int() == 1);
    CHECK(merged.items()[0].second.as_string() == "b");

    PickleBuilder unhashable;
    unhashable.proto(2).op('}').op(']').integer(1).op('s').stop();
    CHECK(refusal(unhashable).find("cannot hash") != std::string::npos);
  }
  SECTION("an OrderedDict's attributes (a state dict's _metadata) are dropped by BUILD") {
    PickleBuilder p;
    p.proto(2).global("collections", "OrderedDict").op(')').op('R').unicode("k").integer(1).op('s');
    p.op('}').unicode("_metadata").op('}').op('s').op('b').stop();
    CHECK(unpickled(p).find("k")->as_int() == 1);
  }
  SECTION("sets and extension codes are refused") {
    PickleBuilder set;
    set.proto(4).byte(0x8f).stop();
    CHECK(refusal(set).find("a set") != std::string::npos);
    PickleBuilder ext;
    ext.proto(2).byte(0x82).byte(1).stop();
    CHECK(refusal(ext).find("extension registry") != std::string::npos);
  }
}

TEST_CASE("the ZIP reader finds each entry through its own local header") {
  const auto zip = test::small_checkpoint_zip("tiny");
  const ZipArchive archive(zip, "tiny.ckpt");
  REQUIRE(archive.entries().size() == 6);
  CHECK(archive.entries()[0].name == "tiny/data.pkl");
  for (const ZipEntry& entry : archive.entries()) CHECK(entry.data_offset % 64 == 0);  // torch's padding
  const ZipContent pickle = archive.read(*archive.find("tiny/data.pkl"));
  CHECK(std::vector<std::uint8_t>(pickle.bytes.begin(), pickle.bytes.end()) == test::small_checkpoint().pickle);
  CHECK(pickle.bytes.data() >= zip.data());  // stored: viewed in place
  CHECK(pickle.bytes.data() < zip.data() + zip.size());

  SECTION("zip64 records and extra fields") {
    const auto zip64 = test::small_checkpoint_zip("big", true);
    const ZipArchive big(zip64, "big.ckpt");
    REQUIRE(big.entries().size() == 6);
    const ZipContent storage = big.read(*big.find("big/data/1"));
    CHECK(storage.bytes.size() == 32);
    CHECK(storage.bytes[1] == static_cast<std::uint8_t>(7 + '1'));
  }
  SECTION("deflated entries are inflated and checked") {
    const auto deflated = test::small_checkpoint_zip("d", false, true);
    const ZipArchive archive_d(deflated, "d.ckpt");
    const ZipEntry& entry = *archive_d.find("d/data/2");
    CHECK(entry.method == 8);
    const ZipContent content = archive_d.read(entry);
    CHECK(content.bytes.size() == 32);
    CHECK(content.bytes[3] == static_cast<std::uint8_t>(21 + '2'));
  }
  SECTION("a corrupt entry is named") {
    auto corrupt = zip;
    const ZipEntry* entry = archive.find("tiny/data/0");
    corrupt[entry->data_offset] ^= 1;
    const ZipArchive bad(corrupt, "tiny.ckpt");
    CHECK_THROWS_WITH(bad.read(*bad.find("tiny/data/0")),
                      Catch::Contains("tiny.ckpt") && Catch::Contains("'tiny/data/0'") && Catch::Contains("CRC"));
  }
  SECTION("not a ZIP at all") {
    const std::vector<std::uint8_t> text{'h', 'e', 'l', 'l', 'o'};
    CHECK_THROWS_WITH(ZipArchive(text, "hello.ckpt"), Catch::StartsWith("hello.ckpt: not a ZIP archive"));
  }
}

std::vector<std::uint8_t> bytes_of(const StorageBytes& storage) { return {storage.bytes.begin(), storage.bytes.end()}; }

TEST_CASE("the checkpoint layout finds each storage: <dir>/data/<key> in a zip, sorted keys in legacy files") {
  SECTION("zip, whatever the folder is called") {
    const auto zip = test::small_checkpoint_zip("my-model");
    const CheckpointLayout layout = parse_torch_checkpoint(zip, "my-model.ckpt");
    CHECK(layout.object.find("state_dict")->items().size() == 4);
    REQUIRE(layout.storages.size() == 4);
    for (const auto& [key, bytes] : test::small_checkpoint().storages) {
      const StorageBytes& storage = layout.storages.at(key);
      CHECK(bytes_of(storage) == bytes);
      CHECK(storage.bytes.data() > zip.data());  // viewed in place
      CHECK_FALSE(storage.inflated);
    }
    CHECK(layout.storages.at("2").type == StorageType::Long);
    CHECK(layout.storages.at("2").numel == 4);
    CHECK(is_torch_checkpoint(zip));
  }
  SECTION("legacy: heap-address keys, data in string order, each block prefixed by its element count") {
    const auto legacy = test::small_checkpoint_legacy();
    const CheckpointLayout layout = parse_torch_checkpoint(legacy, "old.ckpt");
    REQUIRE(layout.storages.size() == 4);
    for (const auto& [key, bytes] : test::small_checkpoint(true).storages) CHECK(bytes_of(layout.storages.at(key)) == bytes);
    CHECK(layout.object.find("state_dict")->find("w32")->tensor().storage_key == "9455800000064");
    CHECK(is_torch_checkpoint(legacy));
  }
  SECTION("a missing or mis-sized storage is named") {
    const test::SmallCheckpoint checkpoint = test::small_checkpoint();
    std::vector<test::ZipRecord> records{{"a/data.pkl", checkpoint.pickle}};
    for (const auto& [key, bytes] : checkpoint.storages)
      if (key != "2") records.push_back({"a/data/" + key, key == "1" ? std::vector<std::uint8_t>(31) : bytes});
    CHECK_THROWS_WITH(parse_torch_checkpoint(test::make_zip(records), "a.ckpt"),
                      Catch::StartsWith("a.ckpt: ZIP entry 'a/data/1' holds 31 bytes, but its 8 FloatStorage elements need 32"));
    records[2].data.resize(32);
    CHECK_THROWS_WITH(parse_torch_checkpoint(test::make_zip(records), "a.ckpt"),
                      Catch::StartsWith("a.ckpt: storage '2' has no entry 'a/data/2'"));
    records.push_back({"b/data.pkl", checkpoint.pickle});
    CHECK_THROWS_WITH(parse_torch_checkpoint(test::make_zip(records), "a.ckpt"), Catch::Contains("two pickles"));
  }
  SECTION("a legacy element count that disagrees with the pickle") {
    auto legacy = test::small_checkpoint_legacy();
    legacy[legacy.size() - 32 - 8] ^= 1;  // the count of the last storage in string order, w32's 8 x F32
    CHECK_THROWS_WITH(parse_torch_checkpoint(legacy, "old.ckpt"),
                      Catch::Contains("storage '9455800000064' holds 9 elements, but the pickle says 8"));
  }
  SECTION("neither format") {
    const std::vector<std::uint8_t> text{'{', '}'};
    CHECK_FALSE(is_torch_checkpoint(text));
    CHECK_THROWS_WITH(parse_torch_checkpoint(text, "x.ckpt"), Catch::StartsWith("x.ckpt: not a PyTorch checkpoint"));
  }
}

}  // namespace
}  // namespace atelier
