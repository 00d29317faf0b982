#pragma once
// The model library as atelier-cli opens it, and checkpoints found through it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/command_line.h"
#include "core/networks/addon_folders.h"
#include "core/library/model_library.h"

namespace atelier::cli {

// The folders of --library (repeatable) when given, else Atelier's own library folder followed
// by the roots the studio's settings list (core/library/library_settings.h).
std::vector<std::filesystem::path> library_roots(CommandLine& args);

// Checkpoints named on the command line or by an image being re-run. The library (the roots of
// --library, else the default ones) is opened and scanned only when a name is not a file.
class CheckpointFinder {
 public:
  explicit CheckpointFinder(CommandLine& args);

  // `query` when it is a file or folder; else the library's checkpoint of that name, A1111 title
  // or hash, else the one with the `hash` an image recorded. Throws InvalidArgument saying
  // "<what> '<query>' not found ... give <option> PATH" when there is none.
  std::filesystem::path find(const std::string& what, const std::filesystem::path& query, const std::string& hash,
                             const std::string& option);

  // The library's files by name (a hires fix's upscaler), through this finder, which must
  // outlive the result.
  ModelResolver resolver();

  // Where the prompt's networks and embeddings and the VAE choice are looked up: the folders of
  // --lora-dir and --embeddings-dir (repeatable), then the library roots' LoRA, LyCORIS, embedding
  // and VAE folders; by hash through this finder, which must outlive the result.
  std::shared_ptr<const AddonFolders> addon_folders(CommandLine& args);

 private:
  ModelLibrary& library();

  std::vector<std::string> given_roots_;
  std::unique_ptr<ModelLibrary> library_;
};

}  // namespace atelier::cli
