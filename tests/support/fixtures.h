#pragma once
// Access to the reference fixtures in tests/data (copied byte-identical from shared/fixtures).
#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/safetensors.h"

namespace atelier::test {

inline std::filesystem::path data_path(const std::string& relative) {
  return std::filesystem::path(ATELIER_TEST_DATA_DIR) / relative;
}

inline std::filesystem::path tiny_model_path() { return data_path("sd1-tiny/model.safetensors"); }
inline std::filesystem::path tiny_fp16_model_path() { return data_path("sd1-tiny/model-fp16.safetensors"); }

inline const nlohmann::json& reference_json() {
  static const nlohmann::json json = [] {
    std::ifstream in(data_path("sd1-tiny/reference.json"));
    return nlohmann::json::parse(in);
  }();
  return json;
}

inline const SafetensorsFile& reference_tensors() {
  static const SafetensorsFile file(data_path("sd1-tiny/reference.safetensors"));
  return file;
}

// A reference tensor by key, as F32 (or its own integer type when `keep_type`).
inline at::Tensor reference(const std::string& key) { return reference_tensors().tensor(key, at::kFloat); }

// max |actual - expected| / max |expected|: the parity measure the fixture README suggests.
inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

inline double relative_error(const at::Tensor& actual, const at::Tensor& expected) {
  auto a = actual.to(at::kDouble).cpu();
  auto e = expected.to(at::kDouble).cpu();
  if (a.sizes() != e.sizes()) return std::numeric_limits<double>::infinity();
  double scale = e.abs().max().item<double>();
  double diff = (a - e).abs().max().item<double>();
  return scale > 0 ? diff / scale : diff;
}

}  // namespace atelier::test
