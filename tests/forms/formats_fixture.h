#pragma once
// The sd1-tiny-formats fixture: every form of the tiny model, and its value sets (per-tensor
// sha256 of the F32 values, reference.json -> value_sets) that say what "the same weights" is.
#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "core/io/safetensors.h"
#include "core/io/sha256.h"
#include "support/fixtures.h"
#include "support/parity.h"
#include "support/reference_fixture.h"

namespace atelier::test {

inline const ReferenceFixture& formats() {
  static const ReferenceFixture fixture("sd1-tiny-formats");
  return fixture;
}

// The sha256 of a tensor's values as little-endian F32 bytes (integers as I64), C order.
inline std::string value_hash(const at::Tensor& tensor) {
  const bool integral = at::isIntegralType(tensor.scalar_type(), /*includeBool=*/true);
  const auto bytes = tensor.to(integral ? at::kLong : at::kFloat).contiguous();
  Sha256 sha;
  sha.update({static_cast<const std::uint8_t*>(bytes.data_ptr()), bytes.nbytes()});
  const auto digest = sha.finish();
  return to_hex(digest);
}

// What a form must give: the keys of `value_set` (less `absent`) with their hashes and the base
// model's shapes, `overrides` taking keys from another set, and nothing else but `ignored(key)`.
template <typename Ignored>
void check_value_set(const TensorSource& source, const std::string& value_set, const std::set<std::string>& absent,
                     Ignored ignored, const std::map<std::string, std::string>& overrides = {}) {
  const auto& sets = formats().json()["value_sets"];
  const auto& hashes = sets[value_set]["sha256_f32"];
  static const SafetensorsFile base(tiny_model_path());
  std::size_t checked = 0;
  for (const auto& [key, hash] : hashes.items()) {
    if (absent.count(key)) continue;
    INFO(source.path().string() << ": " << key);
    const TensorEntry* entry = source.find(key);
    REQUIRE(entry);
    if (const TensorEntry* base_entry = base.find(key)) CHECK(entry->shape == base_entry->shape);
    const std::string& expected_set = overrides.count(key) ? overrides.at(key) : value_set;
    const std::string expected = sets[expected_set]["sha256_f32"][key];
    CHECK(value_hash(source.tensor(key)) == expected);
    ++checked;
  }
  CHECK(checked == hashes.size() - absent.size());
  for (const auto& entry : source.entries()) {
    INFO("left over: " << entry.name);
    CHECK((hashes.contains(entry.name) || ignored(entry.name)));
  }
}

inline void check_value_set(const TensorSource& source, const std::string& value_set,
                            const std::set<std::string>& absent = {}) {
  check_value_set(source, value_set, absent, [](const std::string&) { return false; });
}

// The 12 DDPM schedule buffers of the checkpoint (a diffusers folder has none).
inline std::set<std::string> schedule_buffers() {
  const auto names = formats().json()["base_model"]["schedule_buffers"].get<std::vector<std::string>>();
  return {names.begin(), names.end()};
}

// The first sampling case of the SD1 reference on `model` (the same weights in another form).
inline GenerationParams sampling_case(const std::filesystem::path& model) {
  return case_params(reference_json()["sampling"]["cases"][0], model);
}

}  // namespace atelier::test
