#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "core/io/resources.h"
#include "core/text/clip_tokenizer.h"
#include "support/fixtures.h"

using atelier::ClipTokenizer;

namespace {

const ClipTokenizer& tokenizer() { return ClipTokenizer::bundled(); }

}  // namespace

TEST_CASE("ClipTokenizer reproduces simple_tokenizer on every reference prompt", "[text][tokenizer]") {
  const auto& cases = atelier::test::reference_json().at("tokenizer").at("cases");
  REQUIRE(cases.size() == 25);
  for (const auto& reference : cases) {
    const std::string prompt = reference.at("prompt");
    INFO("prompt: " << prompt);
    const std::vector<int> ids = tokenizer().encode(prompt);
    CHECK(ids == reference.at("bpe_ids").get<std::vector<int>>());
    CHECK(ClipTokenizer::frame(ids) == reference.at("ids77").get<std::vector<int>>());
  }
}

TEST_CASE("ClipTokenizer knows CLIP's special tokens", "[text][tokenizer]") {
  CHECK(tokenizer().comma_token() == 267);
  CHECK(tokenizer().encode(",") == std::vector<int>{267});
  CHECK(tokenizer().encode("<|startoftext|>hello<|endoftext|>") == std::vector<int>{49406, 3306, 49407});
}

TEST_CASE("ClipTokenizer cleans text as simple_tokenizer does", "[text][tokenizer]") {
  const auto& t = tokenizer();
  SECTION("NFC composition") { CHECK(t.encode("cafe\u0301") == t.encode("caf\u00e9")); }
  SECTION("full lower-casing, final sigma included") {
    CHECK(t.encode("\u0130stanbul") == std::vector<int>{328, 16384, 11231});  // İ -> i + U+0307
    CHECK(t.encode("\u03a3\u0391\u03a3") == std::vector<int>{139, 225, 138, 109, 139, 480});
  }
  SECTION("Unicode whitespace separates words") { CHECK(t.encode("a\u3000b\u00a0c") == std::vector<int>{320, 321, 322}); }
  SECTION("the regex module's \\s leaves U+001C alone: it is a word of its own") {
    CHECK(t.encode("a\x1c" "b") == std::vector<int>{320, 472, 321});
  }
  SECTION("IGNORECASE quirks of CLIP's pattern") {
    CHECK(t.encode("x'\u017f") == std::vector<int>{343, 6, 129, 379});  // 's matches 'ſ
    CHECK(t.encode("a\u0345b") == std::vector<int>{320, 321});           // nothing matches U+0345
  }
}

TEST_CASE("ClipTokenizer unescapes HTML twice, as Python's html.unescape", "[text][tokenizer]") {
  const auto& t = tokenizer();
  CHECK(t.encode("&amp;") == t.encode("&"));
  CHECK(t.encode("&lt;3") == t.encode("<3"));
  CHECK(t.encode("it&#39;s") == t.encode("it's"));
  CHECK(t.encode("it&#x27;s") == t.encode("it's"));
  CHECK(t.encode("&ampx") == t.encode("&x"));  // legacy name without ';'
  CHECK(t.encode("&amp;amp;") == t.encode("&"));
  CHECK(t.encode("&#x26;amp;") == t.encode("&"));
  CHECK(t.encode("x&nbsp;y") == t.encode("x y"));
  CHECK(t.encode("&#0;") == t.encode("\ufffd"));
  CHECK(t.encode("a&#1;b") == t.encode("ab"));
}

TEST_CASE("ClipTokenizer replaces invalid UTF-8 instead of throwing", "[text][tokenizer]") {
  CHECK(tokenizer().encode("a\xff" "b") == tokenizer().encode("a\ufffd" "b"));
  CHECK(tokenizer().encode("a\xff" "b") == std::vector<int>{320, 39802, 321});
  CHECK_NOTHROW(tokenizer().encode("\xc3"));
}

TEST_CASE("ClipTokenizer::frame truncates to 75 tokens and pads to 77", "[text][tokenizer]") {
  std::vector<int> ids(80, 320);
  std::vector<int> framed = ClipTokenizer::frame(ids);
  REQUIRE(framed.size() == 77);
  CHECK(framed.front() == ClipTokenizer::kStartToken);
  CHECK(framed[75] == 320);
  CHECK(framed.back() == ClipTokenizer::kEndToken);
  std::vector<int> empty = ClipTokenizer::frame({});
  CHECK(empty.front() == ClipTokenizer::kStartToken);
  CHECK(std::count(empty.begin() + 1, empty.end(), ClipTokenizer::kEndToken) == 76);
}

TEST_CASE("ClipTokenizer gives the same ids on several threads at once", "[text][tokenizer]") {
  const std::string prompt = "a breathtaking panoramic landscape painting of misty mountains, unusualwordsforthecache";
  const std::vector<int> expected = ClipTokenizer(atelier::resource_path("clip/bpe_simple_vocab_16e6.txt.gz")).encode(prompt);
  std::vector<std::vector<int>> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&result, &prompt] {
      for (int i = 0; i < 50; ++i) result = tokenizer().encode(prompt);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) CHECK(result == expected);
}

TEST_CASE("ClipTokenizer names a missing vocabulary file", "[text][tokenizer]") {
  CHECK_THROWS_WITH(ClipTokenizer("/nonexistent/vocab.txt.gz"), Catch::Contains("/nonexistent/vocab.txt.gz"));
}
