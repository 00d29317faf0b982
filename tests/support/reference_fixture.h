#pragma once
// One reference fixture of ATELIER_FIXTURES_DIR (sd2-tiny, sdxl-tiny, ...): its files, its
// reference.json and the tensors of reference.safetensors.
#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/safetensors.h"

namespace atelier::test {

class ReferenceFixture {
 public:
  explicit ReferenceFixture(const std::string& name)
      : dir_(std::filesystem::path(ATELIER_FIXTURES_DIR) / name),
        json_(nlohmann::json::parse(std::ifstream(dir_ / "reference.json"))),
        tensors_(dir_ / "reference.safetensors") {}

  std::filesystem::path path(const std::string& file) const { return dir_ / file; }
  const nlohmann::json& json() const { return json_; }
  // A reference tensor as F32, or in its own type (token ids, 8-bit images).
  at::Tensor operator()(const std::string& key) const { return tensors_.tensor(key, at::kFloat); }
  at::Tensor raw(const std::string& key) const { return tensors_.tensor(key); }

 private:
  std::filesystem::path dir_;
  nlohmann::json json_;
  SafetensorsFile tensors_;
};

}  // namespace atelier::test
