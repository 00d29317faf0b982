// PyTorch checkpoints against the sd1-tiny-formats and sd1-tiny-networks fixtures: the zip and
// legacy .ckpt give every tensor the fixture lists, with the dtype and shape listed and the
// values of the fixture's value sets; textual-inversion .pt vectors; every malicious file refused.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "core/io/sha256.h"
#include "core/io/torch_checkpoint.h"
#include "support/reference_fixture.h"

namespace atelier {
namespace {

using Kind = PickleValue::Kind;
using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

const test::ReferenceFixture& formats() {
  static const test::ReferenceFixture fixture("sd1-tiny-formats");
  return fixture;
}

// The value-set hash: sha256 of the little-endian F32 bytes, or I64 for integer tensors.
std::string value_hash(const at::Tensor& tensor) {
  const at::Tensor flat = tensor.is_floating_point() ? tensor.to(at::kFloat).contiguous() : tensor.to(at::kLong).contiguous();
  Sha256 sha;
  sha.update({static_cast<const std::uint8_t*>(flat.data_ptr()), flat.nbytes()});
  return to_hex(sha.finish());
}

std::string dtype_of(const at::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case at::kFloat: return "F32";
    case at::kHalf: return "F16";
    case at::kBFloat16: return "BF16";
    case at::kLong: return "I64";
    case at::kInt: return "I32";
    default: return at::toString(tensor.scalar_type());
  }
}

// reference.json with its objects in file order (the tensor lists are in the pickles' order).
const nlohmann::ordered_json& ordered_reference() {
  static const nlohmann::ordered_json json = nlohmann::ordered_json::parse(std::ifstream(formats().path("reference.json")));
  return json;
}

// Every tensor reference.json lists for `file`, in file order, with its dtype and shape.
void check_listed_tensors(const StateDict& tensors, const std::string& file) {
  const auto& listed = ordered_reference().at("files").at(file).at("tensors");
  REQUIRE(tensors.size() == listed.size());
  std::size_t i = 0;
  for (const auto& [name, entry] : listed.items()) {
    INFO(file << ": tensor " << i << " " << name);
    CHECK(tensors[i].first == name);
    CHECK(dtype_of(tensors[i].second) == entry[0].get<std::string>());
    CHECK(tensors[i].second.sizes().vec() == entry[1].get<std::vector<std::int64_t>>());
    ++i;
  }
}

// A1111's transform_checkpoint_dict_key for old CLIP keys: prefix replacement only.
std::string canonical_key(const std::string& key) {
  const std::pair<std::string, std::string> renames[] = {
      {"cond_stage_model.transformer.embeddings.", "cond_stage_model.transformer.text_model.embeddings."},
      {"cond_stage_model.transformer.encoder.", "cond_stage_model.transformer.text_model.encoder."},
      {"cond_stage_model.transformer.final_layer_norm.", "cond_stage_model.transformer.text_model.final_layer_norm."},
  };
  for (const auto& [from, to] : renames)
    if (key.starts_with(from)) return to + key.substr(from.size());
  return key;
}

// The file's outcome: every key of its value set (or of the override set named per key) is
// there with that value; what is left over is what the outcome says to ignore or drop.
void check_value_set(const StateDict& tensors, const std::string& file, bool renamed) {
  const nlohmann::json& outcome = formats().json().at("files").at(file).at("outcome");
  const nlohmann::json& sets = formats().json().at("value_sets");
  const std::string set = outcome.at("value_set");
  const nlohmann::json overrides = outcome.value("value_set_overrides", nlohmann::json::object());
  std::map<std::string, at::Tensor> by_key;
  for (const auto& [name, tensor] : tensors) by_key.emplace(renamed ? canonical_key(name) : name, tensor);
  for (const auto& [key, hash] : sets.at(set).at("sha256_f32").items()) {
    INFO(file << ": " << key);
    const std::string from = overrides.value(key, set);
    const auto found = by_key.find(key);
    REQUIRE(found != by_key.end());
    CHECK(value_hash(found->second) == sets.at(from).at("sha256_f32").at(key).get<std::string>());
    by_key.erase(found);
  }
  std::set<std::string> ignorable;
  const nlohmann::json ignored = outcome.value("ignore_keys", nlohmann::json::object());
  const nlohmann::json dropped = outcome.value("dropped_keys", nlohmann::json::array());
  for (const auto& [key, reason] : ignored.items()) ignorable.insert(renamed ? canonical_key(key) : key);
  for (const auto& key : dropped) ignorable.insert(key.get<std::string>());
  const bool ema_ignored = ignorable.contains("model_ema.<flattened UNet names>");
  for (const auto& [key, tensor] : by_key) {
    INFO(file << ": left over " << key);
    CHECK((ignorable.contains(key) || (ema_ignored && key.starts_with("model_ema."))));
  }
}

TEST_CASE("the zip .ckpt gives the listed tensors with the base model's weights") {
  const auto path = formats().path("ckpt/model.ckpt");
  CHECK(is_torch_pickle_file(path));
  const PickleValue checkpoint = read_torch_pickle(path);
  CHECK(checkpoint.find("epoch")->as_int() == 0);
  CHECK(checkpoint.find("global_step")->as_int() == 470000);
  CHECK(checkpoint.find("pytorch-lightning_version")->as_string() == "1.4.2");
  const auto& callbacks = checkpoint.find("callbacks")->items();
  REQUIRE(callbacks.size() == 1);
  CHECK(callbacks[0].first.is(Kind::Global));
  CHECK(callbacks[0].first.text() == "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint");

  const StateDict tensors = torch_state_dict(checkpoint, path.string());
  check_listed_tensors(tensors, "ckpt/model.ckpt");
  check_value_set(tensors, "ckpt/model.ckpt", false);
  // Integer buffers keep their type: position_ids 0..76, num_updates I32.
  for (const auto& [name, tensor] : tensors) {
    if (name == "cond_stage_model.transformer.text_model.embeddings.position_ids")
      CHECK(tensor.equal(at::arange(77, at::kLong).unsqueeze(0)));
    if (name == "model_ema.num_updates") CHECK(tensor.scalar_type() == at::kInt);
  }
}

TEST_CASE("the legacy .ckpt gives the same weights, its EMA shadows apart") {
  const auto path = formats().path("ckpt/model-legacy.ckpt");
  CHECK(is_torch_pickle_file(path));
  const StateDict tensors = read_torch_state_dict(path);
  check_listed_tensors(tensors, "ckpt/model-legacy.ckpt");
  check_value_set(tensors, "ckpt/model-legacy.ckpt", true);

  // The shadows are the ema_f16 value set.
  std::map<std::string, at::Tensor> by_name(tensors.begin(), tensors.end());
  const auto& ema = formats().json().at("value_sets").at("ema_f16").at("sha256_f32");
  REQUIRE(ema.size() == 208);
  for (const auto& [key, hash] : ema.items()) {
    INFO(key);
    REQUIRE(by_name.contains(key));
    CHECK(value_hash(by_name.at(key)) == hash.get<std::string>());
  }
}

TEST_CASE("the VAE .ckpt gives the replacement VAE") {
  const auto path = formats().path("vae/vae-tiny-ft-mse.ckpt");
  const StateDict tensors = read_torch_state_dict(path);
  check_listed_tensors(tensors, "vae/vae-tiny-ft-mse.ckpt");
  check_value_set(tensors, "vae/vae-tiny-ft-mse.ckpt", false);
}

TEST_CASE("a textual-inversion .pt gives its vectors, archived under the file's stem") {
  const test::ReferenceFixture networks("sd1-tiny-networks");
  const auto path = networks.path("embeddings/tinystyle.pt");
  CHECK(is_torch_pickle_file(path));
  const PickleValue embedding = read_torch_pickle(path);
  CHECK(embedding.find("string_to_token")->find("*")->as_int() == 265);
  CHECK(embedding.find("name")->as_string() == "tinystyle");
  CHECK(embedding.find("step")->as_int() == 500);
  CHECK(embedding.find("sd_checkpoint")->is(Kind::None));
  const auto& params = embedding.find("string_to_param")->items();
  REQUIRE(params.size() == 1);
  CHECK(params[0].first.as_string() == "*");
  const at::Tensor& vectors = params[0].second.tensor();
  CHECK(vectors.scalar_type() == at::kFloat);
  CHECK(vectors.equal(networks.raw("embedding.tinystyle.vectors")));
}

TEST_CASE("every malicious checkpoint is refused, naming the global or the truncation") {
  const nlohmann::json& files = formats().json().at("files");
  int refused = 0;
  for (const auto& [file, entry] : files.items()) {
    if (entry.at("outcome").at("kind") != "refuse") continue;
    INFO(file);
    const auto path = formats().path(file);
    const auto& forbidden = entry.at("outcome").at("forbidden_globals");
    try {
      read_torch_state_dict(path);
      FAIL("accepted");
    } catch (const FormatError& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK(message.starts_with(path.string()));
      if (forbidden.empty()) {
        CHECK(message.find("truncated") != std::string::npos);
        CHECK(message.find("STOP") != std::string::npos);
      } else {
        CHECK(message.find("refused") != std::string::npos);
        CHECK(message.find("'" + forbidden[0].get<std::string>() + "'") != std::string::npos);
        CHECK(message.find("nothing was run") != std::string::npos);
      }
    }
    ++refused;
  }
  CHECK(refused == 6);
}

TEST_CASE("files that are no checkpoints are told apart") {
  CHECK_FALSE(is_torch_pickle_file(formats().path("vae/vae-tiny-ft-mse.safetensors")));
  CHECK_FALSE(is_torch_pickle_file(formats().path("no-such-file.ckpt")));
  CHECK_THROWS_WITH(read_torch_pickle(formats().path("vae/vae-tiny-ft-mse.safetensors")),
                    Catch::Contains("not a PyTorch checkpoint"));
}

}  // namespace
}  // namespace atelier
