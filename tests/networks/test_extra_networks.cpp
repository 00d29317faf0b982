// A1111's extra-network tags: what is removed from the prompt and what each tag asks for.
#include <catch2/catch.hpp>

#include "addon_fixture.h"
#include "core/error.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/extra_networks.h"

using namespace atelier;
using namespace atelier::test;

TEST_CASE("tags are cut out of the prompt as A1111 does, leaving the text around them", "[addons][tags]") {
  for (const auto& c : networks_fixture().json()["prompt_tag_removal"]) {
    const std::string prompt = c["prompt"];
    INFO(prompt);
    const auto parsed = remove_extra_network_tags(prompt);
    CHECK(parsed.text == c["stripped"].get<std::string>());
    CHECK(ClipTokenizer::bundled().encode(parsed.text) == c["stripped_bpe_ids"].get<std::vector<int>>());
    const auto requests = network_requests(parsed.tags);
    const auto& expected = c["lora_activation"];
    REQUIRE(requests.size() == expected.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      CHECK(requests[i].name == expected[i]["name"].get<std::string>());
      CHECK(requests[i].te_multiplier == expected[i]["te"].get<double>());
      CHECK(requests[i].unet_multiplier == expected[i]["unet"].get<double>());
      CHECK(requests[i].dyn_dim == (expected[i]["dyn"].is_null() ? 0 : expected[i]["dyn"].get<int>()));
    }
  }
}

TEST_CASE("every tag kind is removed but only lora and lyco ask for a network", "[addons][tags]") {
  const auto parsed = remove_extra_network_tags("a <hypernet:h:1> b <lyco:net:0.5> c <LoRA:x:1>");
  CHECK(parsed.text == "a  b  c ");
  REQUIRE(parsed.tags.size() == 3);
  CHECK(parsed.tags[0].kind == "hypernet");
  const auto requests = network_requests(parsed.tags);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0] == NetworkRequest{"net", 0.5, 0.5, 0});
}

TEST_CASE("named arguments override positional ones; an item with two '=' is positional", "[addons][tags]") {
  const auto requests = network_requests(remove_extra_network_tags("<lora:n:0.2:0.3:te=0.9:dyn=4> <lora:a=b=c>").tags);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0] == NetworkRequest{"n", 0.9, 0.3, 4});
  CHECK(requests[1].name == "a=b=c");
}

TEST_CASE("a tag with a bad number or without a name is refused, naming the tag", "[addons][tags]") {
  CHECK_THROWS_WITH(network_requests(remove_extra_network_tags("<lora:n:strong>").tags),
                    Catch::Contains("<lora:n:strong>") && Catch::Contains("not a number"));
  CHECK_THROWS_AS(network_requests(remove_extra_network_tags("<lora:te=1>").tags), InvalidArgument);
  CHECK(network_requests(remove_extra_network_tags("<lora:n: 0.5 >").tags)[0].te_multiplier == 0.5);
}
