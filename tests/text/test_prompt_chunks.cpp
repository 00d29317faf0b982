#include <catch2/catch.hpp>

#include <algorithm>

#include "core/text/prompt_attention.h"
#include "core/text/prompt_chunks.h"
#include "support/fixtures.h"

using atelier::ClipTokenizer;
using atelier::PromptChunk;

namespace {

constexpr int kA = 320, kB = 321, kComma = 267, kWord = 2653;  // "a", "b", ",", "word"

std::string repeat(const std::string& text, int times) {
  std::string result;
  for (int i = 0; i < times; ++i) result += text;
  return result;
}

// The tokens between a chunk's start token and its padding.
std::vector<int> content(const PromptChunk& chunk) {
  CHECK(chunk.tokens.front() == ClipTokenizer::kStartToken);
  CHECK(chunk.tokens.back() == ClipTokenizer::kEndToken);
  auto end = std::find(chunk.tokens.begin() + 1, chunk.tokens.end() - 1, ClipTokenizer::kEndToken);
  CHECK(std::all_of(end, chunk.tokens.end(), [](int token) { return token == ClipTokenizer::kEndToken; }));
  return {chunk.tokens.begin() + 1, end};
}

}  // namespace

TEST_CASE("tokenize_prompt reproduces the emphasis reference", "[text][chunks]") {
  const auto& emphasis = atelier::test::reference_json().at("emphasis");
  const std::string prompt = emphasis.at("prompt");

  auto parsed = atelier::parse_prompt_attention(prompt);
  const auto& fragments = emphasis.at("fragments");
  REQUIRE(parsed.size() == fragments.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    CHECK(parsed[i].text == fragments[i].at("text").get<std::string>());
    CHECK(parsed[i].weight == fragments[i].at("weight").get<double>());
    CHECK(ClipTokenizer::bundled().encode(parsed[i].text) == fragments[i].at("ids").get<std::vector<int>>());
  }

  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), prompt);
  REQUIRE(tokenized.chunks.size() == 1);
  const PromptChunk& chunk = tokenized.chunks[0];
  auto ids77 = emphasis.at("ids77").get<std::vector<int>>();
  auto weights77 = emphasis.at("weights77").get<std::vector<double>>();
  CHECK(std::vector<int>(chunk.tokens.begin(), chunk.tokens.end()) == ids77);
  for (int i = 0; i < ClipTokenizer::kContextLength; ++i) CHECK(chunk.weights[i] == static_cast<float>(weights77[i]));
  CHECK(tokenized.token_count == 6);
}

TEST_CASE("tokenize_prompt gives an empty prompt one chunk of padding", "[text][chunks]") {
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), "");
  REQUIRE(tokenized.chunks.size() == 1);
  CHECK(content(tokenized.chunks[0]).empty());
  CHECK(tokenized.token_count == 0);
}

TEST_CASE("tokenize_prompt splits a long prompt into chunks of 75", "[text][chunks]") {
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("word ", 80));
  REQUIRE(tokenized.chunks.size() == 2);
  CHECK(content(tokenized.chunks[0]) == std::vector<int>(75, kWord));
  CHECK(content(tokenized.chunks[1]) == std::vector<int>(5, kWord));
  CHECK(tokenized.token_count == 80);

  SECTION("exactly 75 tokens fit in one chunk") {
    auto full = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("a ", 75));
    REQUIRE(full.chunks.size() == 1);
    CHECK(full.token_count == 75);
  }
  SECTION("a 76th token that is a comma opens the next chunk") {
    auto spilled = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("a ", 75) + ",");
    REQUIRE(spilled.chunks.size() == 2);
    CHECK(content(spilled.chunks[1]) == std::vector<int>{kComma});
    CHECK(spilled.token_count == 76);
  }
}

TEST_CASE("tokenize_prompt moves the words after a nearby comma to the next chunk", "[text][chunks]") {
  // 70 a's, a comma at 70, then b's: when the 76th token arrives the comma is 5 tokens back.
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("a ", 70) + ", " + repeat("b ", 10));
  REQUIRE(tokenized.chunks.size() == 2);
  std::vector<int> first(70, kA);
  first.push_back(kComma);
  CHECK(content(tokenized.chunks[0]) == first);
  CHECK(content(tokenized.chunks[1]) == std::vector<int>(10, kB));
  CHECK(tokenized.token_count == 85);  // the first chunk counts as a full 75

  SECTION("moved tokens keep their weights") {
    auto weighted = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("a ", 70) + ", (b b b b b) b");
    REQUIRE(weighted.chunks.size() == 2);
    const PromptChunk& second = weighted.chunks[1];
    CHECK(content(second) == std::vector<int>(6, kB));
    for (int i = 1; i <= 5; ++i) CHECK(second.weights[i] == 1.1f);
    CHECK(second.weights[6] == 1.0f);
  }
}

TEST_CASE("tokenize_prompt ignores a comma more than 20 tokens back", "[text][chunks]") {
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), repeat("a ", 50) + ", " + repeat("b ", 30));
  REQUIRE(tokenized.chunks.size() == 2);
  CHECK(content(tokenized.chunks[0]).size() == 75);
  CHECK(content(tokenized.chunks[1]) == std::vector<int>(6, kB));
  CHECK(tokenized.token_count == 81);
}

TEST_CASE("tokenize_prompt starts a new chunk at BREAK", "[text][chunks]") {
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), "a BREAK b");
  REQUIRE(tokenized.chunks.size() == 2);
  CHECK(content(tokenized.chunks[0]) == std::vector<int>{kA});
  CHECK(content(tokenized.chunks[1]) == std::vector<int>{kB});
  CHECK(tokenized.token_count == 76);

  SECTION("a lone BREAK leaves one empty chunk, counted as full") {
    auto lone = atelier::tokenize_prompt(ClipTokenizer::bundled(), "BREAK");
    REQUIRE(lone.chunks.size() == 1);
    CHECK(content(lone.chunks[0]).empty());
    CHECK(lone.token_count == 75);
  }
}

TEST_CASE("tokenize_prompt weights each token by its fragment", "[text][chunks]") {
  auto tokenized = atelier::tokenize_prompt(ClipTokenizer::bundled(), "(a:1.3) (a:1.3) (a:1.3) b, c");
  REQUIRE(tokenized.chunks.size() == 1);
  const PromptChunk& chunk = tokenized.chunks[0];
  CHECK(content(chunk) == std::vector<int>{kA, kA, kA, kB, kComma, 322});
  CHECK(std::vector<float>(chunk.weights.begin(), chunk.weights.begin() + 8) ==
        std::vector<float>{1.0f, 1.3f, 1.3f, 1.3f, 1.0f, 1.0f, 1.0f, 1.0f});
  CHECK(tokenized.token_count == 6);
}
