// Textual-inversion embeddings against A1111 (sd1-tiny-networks): the files, the words in the
// 75-token chunks, the vectors in place of token embeddings, emphasis on them.
#include <ATen/core/grad_mode.h>

#include <catch2/catch.hpp>

#include "addon_fixture.h"
#include "core/error.h"
#include "core/networks/textual_inversion.h"
#include "core/pipeline/prompt_conditioning.h"
#include "support/temp_dir.h"

using namespace atelier;
using namespace atelier::test;

namespace {

std::vector<TextualInversion> fixture_embeddings() {
  std::vector<TextualInversion> embeddings;
  for (const auto& embedding : networks_fixture().json()["embeddings"])
    embeddings.push_back(read_textual_inversion(networks_fixture().path(embedding["file"])));
  return embeddings;
}

EmbeddingWords words_of(const std::vector<TextualInversion>& embeddings) {
  EmbeddingWords words;
  for (std::size_t i = 0; i < embeddings.size(); ++i)
    words.add(ClipTokenizer::bundled().encode(embeddings[i].name), embeddings[i].count, static_cast<int>(i));
  return words;
}

}  // namespace

TEST_CASE("embeddings are read from .pt and .safetensors files, named by the file", "[addons][ti]") {
  for (const auto& expected : networks_fixture().json()["embeddings"]) {
    const auto embedding = read_textual_inversion(networks_fixture().path(expected["file"]));
    INFO(embedding.name);
    CHECK(embedding.name == expected["name"].get<std::string>());
    CHECK(embedding.count == expected["vectors"].get<int>());
    CHECK(embedding.vectors.at("").equal(networks_fixture()(expected["tensor"])));
    CHECK(embedding.short_hash == expected["sha256"].get<std::string>().substr(0, 10));
    CHECK(ClipTokenizer::bundled().encode(embedding.name) == expected["name_bpe_ids"].get<std::vector<int>>());
  }
}

TEST_CASE("a file with no single embedding tensor is refused naming it", "[addons][ti]") {
  TempDir dir;
  const auto path = dir.path() / "two.safetensors";
  write_safetensors(path, {{"a", at::zeros({1, 4})}, {"b", at::zeros({1, 4})}});
  CHECK_THROWS_WITH(read_textual_inversion(path), Catch::Contains("two.safetensors"));
}

TEST_CASE("embedding words take their vectors' places in the chunk, weighted like their text", "[addons][ti]") {
  const auto embeddings = fixture_embeddings();
  const auto words = words_of(embeddings);
  const auto& steps = networks_fixture().json()["textual_inversion_steps"];
  const auto tokenized = tokenize_prompt(ClipTokenizer::bundled(), steps["prompt"].get<std::string>(), &words);
  REQUIRE(tokenized.chunks.size() == 1);
  const auto& chunk = tokenized.chunks[0];
  CHECK(std::vector<int>(chunk.tokens.begin(), chunk.tokens.end()) == steps["tokens77"].get<std::vector<int>>());
  CHECK(std::vector<float>(chunk.weights.begin(), chunk.weights.end()) ==
        steps["multipliers77"].get<std::vector<float>>());
  REQUIRE(chunk.fixes.size() == steps["fixes"].size());
  for (std::size_t i = 0; i < chunk.fixes.size(); ++i) {
    CHECK(chunk.fixes[i].offset == steps["fixes"][i]["offset"].get<int>());
    CHECK(embeddings[chunk.fixes[i].index].name == steps["fixes"][i]["embedding"].get<std::string>());
  }
}

TEST_CASE("the text encoder with embedding vectors matches A1111 step by step", "[addons][ti]") {
  at::InferenceMode inference;
  static auto model = load_stable_diffusion(tiny_model_path());
  const auto embeddings = fixture_embeddings();
  const auto words = words_of(embeddings);
  const auto& steps = networks_fixture().json()["textual_inversion_steps"];
  const auto chunk = tokenize_prompt(ClipTokenizer::bundled(), steps["prompt"].get<std::string>(), &words).chunks[0];
  std::vector<TokenVectors> replaced;
  for (const auto& fix : chunk.fixes) replaced.push_back({fix.offset + 1, embeddings[fix.index].vectors.at("")});
  const auto ids = networks_fixture().raw(steps["ids"]).to(at::kLong).reshape({1, -1});
  auto& network = *model.text_encoders[0].network;
  const auto states = network.hidden_states(ids, network.config().num_layers, replaced);
  CHECK(relative_error(states.front(), networks_fixture()(steps["embeddings_output"])) < 1e-5);
  const auto last = network.final_norm(states.back());
  CHECK(relative_error(last, networks_fixture()(steps["last_hidden_state"])) < 1e-4);

  std::vector<const TextualInversion*> known;
  for (const auto& embedding : embeddings) known.push_back(&embedding);
  PromptEncoder encoder(model.text_encoders[0], ClipTokenizer::bundled(), 1, known);
  CHECK(relative_error(encoder.encode(steps["prompt"]), networks_fixture()(steps["z_weighted"])) < 1e-4);
  CHECK(encoder.used_embeddings().size() == 2);
}

TEST_CASE("an embedding that does not fit the chunk's end starts the next chunk", "[addons][ti]") {
  EmbeddingWords words;
  words.add(ClipTokenizer::bundled().encode("tinystyle"), 3, 0);
  std::string prompt;
  for (int i = 0; i < 73; ++i) prompt += "cat ";
  const auto tokenized = tokenize_prompt(ClipTokenizer::bundled(), prompt + "tinystyle", &words);
  REQUIRE(tokenized.chunks.size() == 2);
  CHECK(tokenized.chunks[0].fixes.empty());
  REQUIRE(tokenized.chunks[1].fixes.size() == 1);
  CHECK(tokenized.chunks[1].fixes[0].offset == 0);
  CHECK(tokenized.token_count == 75 + 3);
  // A word whose ids only begin like the name's is not the embedding.
  CHECK(tokenize_prompt(ClipTokenizer::bundled(), "tinystyles", &words).chunks[0].fixes.empty());
}
