#include "core/models/model_source.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/models/diffusers_folder.h"

namespace atelier {
namespace {

bool has_pickle_extension(const std::filesystem::path& path) {
  static constexpr std::array kExtensions{".ckpt", ".pt", ".pth", ".bin"};
  const std::string extension = path.extension().string();
  return std::find(kExtensions.begin(), kExtensions.end(), extension) != kExtensions.end();
}

}  // namespace

std::shared_ptr<const TensorSource> open_weights_file(const std::filesystem::path& path) {
  if (has_pickle_extension(path))
    throw UnsupportedModel(path.string() + ": pickle checkpoints (.ckpt, .pt, .pth, .bin) are not supported yet");
  return std::make_shared<const SafetensorsFile>(path);
}

std::filesystem::path without_trailing_separator(std::filesystem::path path) {
  while (path.has_relative_path() && path.filename().empty()) path = path.parent_path();
  return path;
}

std::shared_ptr<const TensorSource> open_model_source(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) return open_diffusers_pipeline(path);
  return open_weights_file(path);
}

}  // namespace atelier
