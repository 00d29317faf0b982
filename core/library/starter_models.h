#pragma once
// The starter list: well-known models a new user can download in one step, with the facts their
// own Hugging Face pages and files give (repository, file, size, licence, sha256).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/library/model_kind.h"
#include "core/models/checkpoint.h"

namespace atelier {

struct StarterModel {
  std::string name{};      // what `atelier-cli models pull NAME` takes: "sd15", "sdxl-base" ...
  std::string title{};     // "Stable Diffusion 1.5"
  std::string repo{};      // Hugging Face OWNER/NAME; empty when `url` is the source
  std::string file{};      // the file's path in the repository, or the file name of `url`
  std::string url{};       // a direct link, for models not on Hugging Face; empty otherwise
  std::uint64_t size = 0;  // bytes; 0 where the exact size was not found
  ModelFamily family = ModelFamily::Unknown;  // for a VAE or preview decoder: the family it serves
  std::string licence{};   // the licence's name as the model's page gives it
  std::string sha256{};    // hex; empty where it was not found (the download is then not verified)
  ModelKind kind = ModelKind::Checkpoint;  // which library folder it goes to
};

const std::vector<StarterModel>& starter_models();

// The starter of that name; nullopt when there is none.
std::optional<StarterModel> find_starter_model(std::string_view name);

// Where to download it from: the Hugging Face resolve URL (hugging_face_url) or its direct link.
std::string starter_model_url(const StarterModel& model);

}  // namespace atelier
