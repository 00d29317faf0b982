// atelier-cli convert-ckpt as a user runs it: malicious checkpoints are refused with exit code 2
// and their payload (which would print ATELIER_FIXTURE_PAYLOAD_EXECUTED) never runs; a real
// checkpoint becomes a safetensors file of the same tensors.
#include <catch2/catch.hpp>
#include <string>

#include "cli/cli_runner.h"
#include "core/io/safetensors.h"
#include "core/io/torch_checkpoint.h"
#include "io/pickle_builder.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

namespace atelier {
namespace {

constexpr std::string_view kMarker = "ATELIER_FIXTURE_PAYLOAD_EXECUTED";

// Runs convert-ckpt on `file`; checks it was refused naming `expected`, that the payload did not
// print its marker and that nothing was written.
void check_refused(const std::filesystem::path& file, const std::string& expected) {
  INFO(file.string());
  test::TempDir dir;
  const auto out = dir / "out.safetensors";
  const cli_test::Outcome outcome = cli_test::run_cli({"convert-ckpt", file.string(), "--out", out.string()}, dir.path());
  INFO(outcome.err);
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.err.find(expected) != std::string::npos);
  CHECK(outcome.out.find(kMarker) == std::string::npos);
  CHECK(outcome.err.find(kMarker) == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("convert-ckpt refuses a hand-built os.system payload without running it") {
  test::PickleBuilder pickle;
  pickle.proto(2).op('}').unicode("state_dict").global("posix", "system");
  pickle.unicode("echo " + std::string(kMarker)).byte(0x85).op('R').op('s').stop();
  test::TempDir dir;
  const auto file = dir / "payload.ckpt";
  test::write_bytes(file, test::make_zip({{"payload/data.pkl", pickle.bytes()}, {"payload/version", {'3', '\n'}}}));
  check_refused(file, "'posix.system'");
}

#ifdef ATELIER_FIXTURES_DIR
TEST_CASE("convert-ckpt refuses every malicious fixture without running it") {
  const std::filesystem::path malicious = std::filesystem::path(ATELIER_FIXTURES_DIR) / "sd1-tiny-formats/malicious";
  check_refused(malicious / "os_system.ckpt", "'os.system'");
  check_refused(malicious / "posix_system.ckpt", "'posix.system'");
  check_refused(malicious / "builtins_eval.ckpt", "'builtins.eval'");
  check_refused(malicious / "hidden_in_state_dict.ckpt", "'__builtin__.eval'");
  check_refused(malicious / "legacy_payload.ckpt", "'builtins.eval'");
  check_refused(malicious / "truncated_data_pkl.ckpt", "truncated");
}

TEST_CASE("convert-ckpt writes the state dict as safetensors, each tensor in its own dtype") {
  const std::filesystem::path checkpoint = std::filesystem::path(ATELIER_FIXTURES_DIR) / "sd1-tiny-formats/ckpt/model.ckpt";
  test::TempDir dir;
  const auto out = dir / "model.safetensors";
  const cli_test::Outcome outcome = cli_test::run_cli({"convert-ckpt", checkpoint.string(), "--out", out.string()}, dir.path());
  INFO(outcome.err);
  REQUIRE(outcome.exit_code == 0);
  const auto expected = read_torch_state_dict(checkpoint);
  const SafetensorsFile converted(out);
  REQUIRE(converted.entries().size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    INFO(name);
    const at::Tensor written = converted.tensor(name);
    CHECK(written.scalar_type() == tensor.scalar_type());
    CHECK(written.equal(tensor));
  }
  // An existing output is never overwritten.
  const cli_test::Outcome again = cli_test::run_cli({"convert-ckpt", checkpoint.string(), "--out", out.string()}, dir.path());
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("exists") != std::string::npos);
}
#endif

}  // namespace
}  // namespace atelier
