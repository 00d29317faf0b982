#include "core/library/library_roots.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

struct LayoutFolder {
  ModelKind kind;
  const char* path;  // relative to the root
};

const std::vector<LayoutFolder> kAtelierFolders{
    {ModelKind::Checkpoint, "checkpoints"}, {ModelKind::Lora, "loras"},         {ModelKind::Embedding, "embeddings"},
    {ModelKind::Vae, "vae"},                {ModelKind::Upscaler, "upscalers"},      {ModelKind::Taesd, "vae-approx"},
};

const std::vector<LayoutFolder> kA1111Folders{
    {ModelKind::Checkpoint, "models/Stable-diffusion"}, {ModelKind::Lora, "models/Lora"},
    {ModelKind::Lycoris, "models/LyCORIS"},             {ModelKind::Embedding, "embeddings"},
    {ModelKind::Vae, "models/VAE"},                     {ModelKind::Upscaler, "models/ESRGAN"},
    {ModelKind::Upscaler, "models/RealESRGAN"},         {ModelKind::Taesd, "models/VAE-taesd"},
};

const std::vector<LayoutFolder> kComfyFolders{
    {ModelKind::Checkpoint, "models/checkpoints"}, {ModelKind::Checkpoint, "models/diffusers"},
    {ModelKind::Lora, "models/loras"},             {ModelKind::Embedding, "models/embeddings"},
    {ModelKind::Vae, "models/vae"},                {ModelKind::Upscaler, "models/upscale_models"},
    {ModelKind::Taesd, "models/vae_approx"},
};

// ComfyUI's folder names (folder_paths.py) for the kinds Atelier knows.
const std::map<std::string, ModelKind> kComfyFolderNames{
    {"checkpoints", ModelKind::Checkpoint}, {"diffusers", ModelKind::Checkpoint}, {"loras", ModelKind::Lora},
    {"embeddings", ModelKind::Embedding},   {"vae", ModelKind::Vae},              {"upscale_models", ModelKind::Upscaler},
    {"vae_approx", ModelKind::Taesd},
};

bool is_dir(const fs::path& path) {
  std::error_code ignored;
  return fs::is_directory(path, ignored);
}

// Python's os.path.expanduser then os.path.expandvars: ~ and $NAME / ${NAME}; unset names stay.
std::string expand_user_and_vars(const std::string& text) {
  std::string path = text;
  if (path == "~" || path.starts_with("~/")) {
    if (const char* home = std::getenv("HOME"); home && *home) path = home + path.substr(1);
  }
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '$') {
      out += path[i];
      continue;
    }
    const bool braced = i + 1 < path.size() && path[i + 1] == '{';
    std::size_t start = i + (braced ? 2 : 1), end = start;
    while (end < path.size() && (std::isalnum(static_cast<unsigned char>(path[end])) || path[end] == '_')) ++end;
    const bool closed = !braced || (end < path.size() && path[end] == '}');
    const char* value = end > start && closed ? std::getenv(path.substr(start, end - start).c_str()) : nullptr;
    if (!value) {
      out += path[i];
      continue;
    }
    out += value;
    i = braced ? end : end - 1;
  }
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    result.push_back(line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1));
  }
  return result;
}

}  // namespace

std::string_view layout_name(RootLayout layout) {
  switch (layout) {
    case RootLayout::Atelier: return "Atelier";
    case RootLayout::A1111: return "AUTOMATIC1111";
    case RootLayout::ComfyUI: return "ComfyUI";
  }
  return "Atelier";
}

RootLayout detect_layout(const fs::path& root) {
  if (is_dir(root / "models/Stable-diffusion") || is_dir(root / "models/Lora")) return RootLayout::A1111;
  std::error_code ignored;
  if (is_dir(root / "models/checkpoints") || is_dir(root / "models/loras") ||
      fs::is_regular_file(root / "extra_model_paths.yaml", ignored))
    return RootLayout::ComfyUI;
  return RootLayout::Atelier;
}

LibraryRoot describe_root(const fs::path& root) {
  LibraryRoot described;
  described.path = root;
  described.layout = detect_layout(root);
  const auto& layout = described.layout == RootLayout::A1111     ? kA1111Folders
                       : described.layout == RootLayout::ComfyUI ? kComfyFolders
                                                                 : kAtelierFolders;
  std::vector<KindFolder> folders;
  if (described.layout == RootLayout::Atelier && is_dir(root))
    folders.push_back({ModelKind::Checkpoint, root, false});
  for (const auto& folder : layout)
    if (is_dir(root / folder.path)) folders.push_back({folder.kind, root / folder.path, true});

  std::error_code ignored;
  if (const auto yaml = root / "extra_model_paths.yaml"; described.layout == RootLayout::ComfyUI &&
                                                         fs::is_regular_file(yaml, ignored)) {
    try {
      const auto extra = read_extra_model_paths(yaml);
      const auto existing = [](const KindFolder& folder) { return is_dir(folder.path); };
      std::vector<KindFolder> first;
      std::copy_if(extra.first.begin(), extra.first.end(), std::back_inserter(first), existing);
      folders.insert(folders.begin(), first.begin(), first.end());
      std::copy_if(extra.last.begin(), extra.last.end(), std::back_inserter(folders), existing);
    } catch (const Error& e) {
      described.problems.push_back(e.what());
    }
  }
  for (const auto& folder : folders)
    if (std::find(described.folders.begin(), described.folders.end(), folder) == described.folders.end())
      described.folders.push_back(folder);
  return described;
}

ExtraModelPaths read_extra_model_paths(const fs::path& yaml) {
  YAML::Node config;
  try {
    config = YAML::LoadFile(yaml.string());
  } catch (const YAML::Exception& e) {
    throw FormatError(yaml.string() + ": not valid YAML: " + e.what());
  }
  if (config.IsNull()) return {};
  if (!config.IsMap()) throw FormatError(yaml.string() + ": expected sections of folder names");
  const fs::path yaml_dir = fs::absolute(yaml).parent_path();
  ExtraModelPaths paths;
  for (const auto& section : config) {
    const std::string name = section.first.as<std::string>();
    const YAML::Node& entries = section.second;
    if (entries.IsNull()) continue;
    if (!entries.IsMap()) throw FormatError(yaml.string() + ": section '" + name + "' is not a map of folder names");
    try {
      std::optional<fs::path> base;
      if (const auto base_path = entries["base_path"]) {
        base = fs::path(expand_user_and_vars(base_path.as<std::string>()));
        if (base->is_relative()) base = yaml_dir / *base;
      }
      const bool is_default = entries["is_default"] && entries["is_default"].as<bool>();
      for (const auto& entry : entries) {
        const auto kind = kComfyFolderNames.find(entry.first.as<std::string>());
        if (kind == kComfyFolderNames.end()) continue;
        for (const auto& line : lines(entry.second.as<std::string>())) {
          fs::path folder(line);
          folder = base ? *base / folder : folder.is_relative() ? yaml_dir / folder : folder;
          (is_default ? paths.first : paths.last).push_back({kind->second, folder.lexically_normal(), true});
        }
      }
    } catch (const YAML::Exception& e) {
      throw FormatError(yaml.string() + ": section '" + name + "': " + e.what());
    }
  }
  return paths;
}

std::vector<std::filesystem::path> kind_folders(const std::vector<std::filesystem::path>& roots,
                                                const std::vector<ModelKind>& kinds) {
  std::vector<std::filesystem::path> folders;
  for (const auto& root : roots)
    for (const auto& folder : describe_root(root).folders)
      if (std::find(kinds.begin(), kinds.end(), folder.kind) != kinds.end()) folders.push_back(folder.path);
  return folders;
}

std::filesystem::path atelier_kind_folder(const std::filesystem::path& root, ModelKind kind) {
  if (kind == ModelKind::Lycoris) kind = ModelKind::Lora;  // Atelier keeps both in loras/
  const auto found = std::ranges::find(kAtelierFolders, kind, &LayoutFolder::kind);
  return root / found->path;
}

}  // namespace atelier
