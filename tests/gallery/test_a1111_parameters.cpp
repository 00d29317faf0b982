#include "core/gallery/a1111_parameters.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace atelier;

namespace atelier {
// Shown by Catch when a comparison fails.
std::ostream& operator<<(std::ostream& out, const A1111Parameters& parameters) {
  out << "prompt: " << Catch::Detail::stringify(parameters.prompt)
      << "\nnegative: " << Catch::Detail::stringify(parameters.negative_prompt) << "\nfields:";
  for (const auto& [key, value] : parameters.fields) {
    out << " " << Catch::Detail::stringify(key) << "=" << Catch::Detail::stringify(value);
  }
  return out;
}
}  // namespace atelier

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

const Fields kTypicalFields{{"Steps", "20"},         {"Sampler", "Euler a"}, {"Schedule type", "Karras"},
                            {"CFG scale", "7"},      {"Seed", "965400086"},  {"Size", "512x768"},
                            {"Model hash", "6ce0161689"}, {"Model", "v1-5-pruned-emaonly"}};

}  // namespace

TEST_CASE("A1111 parameters are formatted as A1111 writes them", "[a1111]") {
  const A1111Parameters parameters{"a cat, masterpiece", "ugly, blurry", kTypicalFields};
  CHECK(format_a1111_parameters(parameters) ==
        "a cat, masterpiece\n"
        "Negative prompt: ugly, blurry\n"
        "Steps: 20, Sampler: Euler a, Schedule type: Karras, CFG scale: 7, Seed: 965400086, Size: 512x768, "
        "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly");
}

TEST_CASE("an empty negative prompt has no line", "[a1111]") {
  CHECK(format_a1111_parameters({"a cat", "", {{"Steps", "20"}, {"Seed", "1"}, {"Size", "8x8"}}}) ==
        "a cat\nSteps: 20, Seed: 1, Size: 8x8");
}

TEST_CASE("values with ',', ':' or a newline are quoted as JSON strings", "[a1111]") {
  const A1111Parameters parameters{"p", "", {{"Steps", "20"},
                                            {"Lora hashes", "add_detail: 7c6bad76eb54, more_art: 0f57a3e7b4c6"},
                                            {"Note", "say \"hi\"\nand \\ bye"},
                                            {"Version", "v1.10.1"}}};
  CHECK(format_a1111_parameters(parameters) ==
        "p\nSteps: 20, Lora hashes: \"add_detail: 7c6bad76eb54, more_art: 0f57a3e7b4c6\", "
        "Note: \"say \\\"hi\\\"\\nand \\\\ bye\", Version: v1.10.1");
  CHECK(parse_a1111_parameters(format_a1111_parameters(parameters)) == parameters);
}

TEST_CASE("A1111 parameters survive a round trip", "[a1111]") {
  const std::vector<A1111Parameters> cases{
      {"a cat, masterpiece", "ugly, blurry", kTypicalFields},
      {"a cat", "", kTypicalFields},
      {"", "ugly", kTypicalFields},
      {"", "", kTypicalFields},
      {"first line\nsecond line, (detailed:1.2)\n\nafter a blank line", "bad hands\nbad feet", kTypicalFields},
      {"猫, 桜の木の下で 🌸", "低品質", {{"Steps", "30"}, {"Model", "写真"}, {"Seed", "1"}, {"Größe", "ä"}}},
      {"p", "n", {{"Steps", "20"}, {"Empty", ""}, {"Padded", " x "}, {"Quoted", "\"q\""}, {"Tab", "a\tb"}}},
      {"p", "n", {{"Steps", "20"}, {"Hires upscale", "2"}, {"Denoising strength", "0.7"}, {"RNG", "CPU"}}},
  };
  for (const A1111Parameters& parameters : cases) {
    const std::string text = format_a1111_parameters(parameters);
    INFO(text);
    CHECK(parse_a1111_parameters(text) == parameters);
  }
}

TEST_CASE("A1111's own infotext parses", "[a1111]") {
  const A1111Parameters parsed = parse_a1111_parameters(
      "  masterpiece, 1girl, <lora:add_detail:0.5>\n"
      "  (cherry blossoms:1.2), BREAK sky  \n"
      "Negative prompt: lowres, bad anatomy\n"
      "worst quality\n"
      "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3294720581, "
      "Size: 512x768, Model hash: 7f96a1a9ca, Model: anything_v5, Denoising strength: 0.5, "
      "Lora hashes: \"add_detail: 7c6bad76eb54\", TI hashes: \"easynegative: c74b4e810b03\", "
      "Hires upscale: 2, Version: v1.7.0\n");
  CHECK(parsed.prompt == "masterpiece, 1girl, <lora:add_detail:0.5>\n(cherry blossoms:1.2), BREAK sky");
  CHECK(parsed.negative_prompt == "lowres, bad anatomy\nworst quality");
  CHECK(parsed.fields == Fields{{"Steps", "28"},
                                {"Sampler", "DPM++ 2M"},
                                {"Schedule type", "Karras"},
                                {"CFG scale", "6.5"},
                                {"Seed", "3294720581"},
                                {"Size", "512x768"},
                                {"Model hash", "7f96a1a9ca"},
                                {"Model", "anything_v5"},
                                {"Denoising strength", "0.5"},
                                {"Lora hashes", "add_detail: 7c6bad76eb54"},
                                {"TI hashes", "easynegative: c74b4e810b03"},
                                {"Hires upscale", "2"},
                                {"Version", "v1.7.0"}});
}

TEST_CASE("the parser follows A1111's quirks", "[a1111]") {
  SECTION("a last line with fewer than 3 settings is prompt") {
    const A1111Parameters parsed = parse_a1111_parameters("a cat\nstyle: oil, mood: calm");
    CHECK(parsed.prompt == "a cat\nstyle: oil, mood: calm");
    CHECK(parsed.fields.empty());
  }
  SECTION("a settings line alone") {
    const A1111Parameters parsed = parse_a1111_parameters("Steps: 20, Seed: 1, Size: 8x8");
    CHECK(parsed.prompt.empty());
    CHECK(parsed.fields == Fields{{"Steps", "20"}, {"Seed", "1"}, {"Size", "8x8"}});
  }
  SECTION("nothing") { CHECK(parse_a1111_parameters("  \n ") == A1111Parameters{}); }
  SECTION("plain values may hold ':' and spaces; empty ones are dropped") {
    CHECK(parse_a1111_parameters("p\nSteps: 20, Model: sd:v1 , Empty: , Seed:1").fields ==
          Fields{{"Steps", "20"}, {"Model", "sd:v1 "}, {"Seed", "1"}});
  }
  SECTION("a quoted value that is not JSON stays as written") {
    CHECK(parse_a1111_parameters("p\nAlpha: \"bad \\q\", Beta: \"x\"y, Gamma: 3").fields ==
          Fields{{"Alpha", "\"bad \\q\""}, {"Beta", "\"x\"y"}, {"Gamma", "3"}});
  }
  SECTION("text that is not a setting is skipped on the settings line") {
    // Keys have at least two characters and start with one of \w: "-xy" is read as "xy", "z" not at all.
    CHECK(parse_a1111_parameters("p\nSteps: 20, junk, Seed: 1, -xy: 2, z: 3, Size: 8x8").fields ==
          Fields{{"Steps", "20"}, {"Seed", "1"}, {"xy", "2"}, {"Size", "8x8"}});
  }
  SECTION("characters are classified as Python's re classifies them") {
    // An emoji is not part of a word; an ideographic space is a space; "²" is a digit.
    CHECK(parse_a1111_parameters("p\n🙂 smile: 1, Steps:\u3000 2, x²: 3").fields ==
          Fields{{"smile", "1"}, {"Steps", "2"}, {"x²", "3"}});
  }
  SECTION("Windows line ends") {
    const A1111Parameters parsed =
        parse_a1111_parameters("a cat\r\nNegative prompt: dog\r\nSteps: 20, Seed: 1, Size: 8x8\r\n");
    CHECK(parsed.prompt == "a cat");
    CHECK(parsed.negative_prompt == "dog");
    CHECK(parsed.fields == Fields{{"Steps", "20"}, {"Seed", "1"}, {"Size", "8x8"}});
  }
}

TEST_CASE("field names A1111 cannot read back are refused", "[a1111]") {
  for (const char* key : {"", "x", " Steps", "Bad:key", "a,b", "-dash", "new\nline"}) {
    INFO(key);
    CHECK_THROWS_AS(format_a1111_parameters({"p", "", {{key, "1"}}}), InvalidArgument);
  }
  CHECK_NOTHROW(format_a1111_parameters({"p", "", {{"Hires-fix/upscaler 2", "1"}, {"_x", "1"}, {"猫猫", "1"}}}));
}
