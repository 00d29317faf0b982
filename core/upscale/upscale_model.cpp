#include "core/upscale/upscale_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/models/model_source.h"
#include "core/models/weights.h"

namespace atelier {
namespace {

// The file's tensors under the names the modules have: `stored` maps one of ours to the file's.
class FileNames {
 public:
  FileNames(std::shared_ptr<const TensorSource> source, std::string prefix)
      : source_(std::move(source)), prefix_(std::move(prefix)) {}

  const TensorSource& source() const { return *source_; }
  const TensorEntry* find(const std::string& name) const { return source_->find(prefix_ + name); }
  bool has(const std::string& name) const { return find(name) != nullptr; }

  // Dimension `dim` of tensor `name`, which must have `rank` dimensions.
  std::int64_t size(const std::string& name, std::size_t rank, std::size_t dim) const {
    const TensorEntry* entry = find(name);
    if (!entry) throw FormatError(source_->describe(prefix_ + name) + " is missing");
    if (entry->shape.size() != rank)
      throw FormatError(source_->describe(prefix_ + name) + " has " + std::to_string(entry->shape.size()) +
                        " dimensions, expected " + std::to_string(rank));
    return entry->shape[dim];
  }

  // How many of name(0), name(1), ... exist in a row.
  int count(const std::function<std::string(int)>& name, int first = 0) const {
    int n = first;
    while (has(name(n))) ++n;
    return n - first;
  }

  // Loads `network`'s parameters, each from the file's tensor `stored(name)`.
  void load(UpscaleNetwork& network, const std::function<std::string(const std::string&)>& stored) const {
    std::vector<RenamedTensors::Entry> entries;
    for (const auto& item : network.named_parameters()) {
      const std::string file_name = prefix_ + stored(item.key());
      const TensorEntry* entry = source_->find(file_name);
      if (!entry) throw FormatError(source_->describe(file_name) + " is missing");
      TensorEntry renamed = *entry;
      renamed.name = item.key();
      entries.push_back({std::move(renamed), {{source_, file_name}}, nullptr});
    }
    load_weights(network, RenamedTensors(source_->path(), std::move(entries)), "");
  }

 private:
  std::shared_ptr<const TensorSource> source_;
  std::string prefix_;
};

std::string file_label(const TensorSource& source) { return source.path().string(); }

// "body.3.rdb2.conv4.weight" -> {3, "rdb2", "conv4", "weight"}; nullopt for other names.
struct BlockParameter {
  int block;
  std::string rdb, conv, kind;
};
std::optional<BlockParameter> block_parameter(const std::string& name) {
  if (!name.starts_with("body.")) return std::nullopt;
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto dot = name.find('.', start);
    parts.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5) return std::nullopt;
  return BlockParameter{std::stoi(parts[1]), parts[2], parts[3], parts[4]};
}

enum class RrdbNaming { BasicSr, Esrgan2019, Old };

const char* naming_label(RrdbNaming naming) {
  switch (naming) {
    case RrdbNaming::BasicSr: return "BasicSR names";
    case RrdbNaming::Esrgan2019: return "ESRGAN names";
    case RrdbNaming::Old: return "old ESRGAN names";
  }
  return "";
}

// The old naming's layer indices after model.1: the upsampling convs at 3, 6, ..., then the HR
// conv 2 on and the last conv 4 on. Its upsampling count, or UnsupportedModel for another layout.
int old_upsamplings(const FileNames& file) {
  std::vector<int> layers;
  const std::string weight_suffix = ".weight";
  for (const auto& entry : file.source().entries()) {
    std::string_view name = entry.name;
    const auto start = name.find("model.");
    if (start == std::string_view::npos) continue;
    name.remove_prefix(start + 6);
    int index = 0;
    const auto [rest, error] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (error == std::errc() && std::string_view(rest, name.data() + name.size() - rest) == weight_suffix && index >= 2)
      layers.push_back(index);
  }
  std::sort(layers.begin(), layers.end());
  const int upsamplings = static_cast<int>(layers.size()) - 2;
  bool expected = upsamplings >= 0;
  for (int i = 0; expected && i < upsamplings; ++i) expected = layers[i] == 3 * (i + 1);
  if (expected) expected = layers[upsamplings] == 3 * upsamplings + 2 && layers[upsamplings + 1] == 3 * upsamplings + 4;
  if (!expected)
    throw UnsupportedModel(file_label(file.source()) +
                           ": an old-style ESRGAN file whose layers (model.N) Atelier does not know; expected "
                           "model.3, model.6, ... for the upsampling, then the HR and last convolutions");
  return upsamplings;
}

// A block's tensor in the file's naming: body.3.rdb2.conv4.weight is RRDB_trunk.3.RDB2.conv4.weight
// (ESRGAN 2019) or model.1.sub.3.RDB2.conv4.0.weight (old).
std::string stored_block_name(RrdbNaming naming, const BlockParameter& block) {
  if (naming == RrdbNaming::BasicSr)
    return "body." + std::to_string(block.block) + "." + block.rdb + "." + block.conv + "." + block.kind;
  const bool old = naming == RrdbNaming::Old;
  const std::string rdb = "RDB" + block.rdb.substr(3);
  return (old ? "model.1.sub." : "RRDB_trunk.") + std::to_string(block.block) + "." + rdb + "." + block.conv +
         (old ? ".0." : ".") + block.kind;
}

// Our name (BasicSR's) -> the file's, for `naming`.
std::function<std::string(const std::string&)> rrdb_names(RrdbNaming naming, const RrdbConfig& config) {
  if (naming == RrdbNaming::BasicSr) return [](const std::string& name) { return name; };
  return [naming, config](const std::string& name) -> std::string {
    if (const auto block = block_parameter(name)) return stored_block_name(naming, *block);
    const bool old = naming == RrdbNaming::Old;
    const auto dot = name.rfind('.');
    const std::string layer = name.substr(0, dot), kind = name.substr(dot);
    const int ups = config.upsamplings;
    if (layer.starts_with("conv_up")) {
      const int i = std::stoi(layer.substr(7));
      return (old ? "model." + std::to_string(3 * i) : "upconv" + std::to_string(i)) + kind;
    }
    if (!old) {
      if (layer == "conv_body") return "trunk_conv" + kind;
      if (layer == "conv_hr") return "HRconv" + kind;
      return name;  // conv_first, conv_last
    }
    if (layer == "conv_first") return "model.0" + kind;
    if (layer == "conv_body") return "model.1.sub." + std::to_string(config.blocks) + kind;
    if (layer == "conv_hr") return "model." + std::to_string(3 * ups + 2) + kind;
    return "model." + std::to_string(3 * ups + 4) + kind;  // conv_last
  };
}

LoadedUpscaler load_rrdb(const FileNames& file, RrdbNaming naming) {
  const auto& source = file.source();
  for (const auto& entry : source.entries())
    if (entry.name.find("conv1x1") != std::string::npos)
      throw UnsupportedModel(file_label(source) + ": an ESRGAN+ model (tensor " + entry.name +
                             "); Atelier runs ESRGAN, Real-ESRGAN and compact models");
  const bool old = naming == RrdbNaming::Old;
  const std::string first = old ? "model.0.weight" : "conv_first.weight";
  const auto first_conv_of = [naming](int block) {
    return stored_block_name(naming, {block, "rdb1", "conv1", "weight"});
  };
  RrdbConfig config;
  config.features = static_cast<int>(file.size(first, 4, 0));
  const int in_channels = static_cast<int>(file.size(first, 4, 1));
  config.growth = static_cast<int>(file.size(first_conv_of(0), 4, 0));
  config.blocks = file.count(first_conv_of);
  if (old) {
    config.upsamplings = old_upsamplings(file);
  } else {
    const std::string up = naming == RrdbNaming::BasicSr ? "conv_up" : "upconv";
    config.upsamplings = file.count([&](int i) { return up + std::to_string(i) + ".weight"; }, 1);
  }
  const std::string last = old ? "model." + std::to_string(3 * config.upsamplings + 4) + ".weight" : "conv_last.weight";
  config.out_channels = static_cast<int>(file.size(last, 4, 0));
  // Real-ESRGAN's x2 and x1 models pixel-unshuffle the image: conv_first sees 4 or 16 times its channels.
  for (const int shuffle : {2, 4})
    if (in_channels == config.out_channels * shuffle * shuffle) config.unshuffle = shuffle;
  config.in_channels = in_channels / (config.unshuffle * config.unshuffle);
  if ((1 << config.upsamplings) < config.unshuffle)
    throw UnsupportedModel(file_label(source) + ": an RRDBNet that shrinks the image (" +
                           std::to_string(config.upsamplings) + " upsamplings, pixel unshuffle by " +
                           std::to_string(config.unshuffle) + ")");
  auto network = std::make_shared<RrdbNet>(config);
  file.load(*network, rrdb_names(naming, config));
  network->eval();
  const std::string description = "RRDBNet x" + std::to_string(config.scale()) + " (" +
                                  std::to_string(config.features) + " features, " + std::to_string(config.blocks) +
                                  " blocks), " + naming_label(naming);
  return {network, description};
}

LoadedUpscaler load_compact(const FileNames& file) {
  const auto& source = file.source();
  if (!file.has("body.1.weight"))
    throw UnsupportedModel(file_label(source) +
                           ": a compact (SRVGGNet) model without PReLU weights (body.1.weight); its activation "
                           "(ReLU or LeakyReLU) cannot be told from the file");
  CompactConfig config;
  config.in_channels = static_cast<int>(file.size("body.0.weight", 4, 1));
  config.out_channels = config.in_channels;  // the input is added to the output
  config.features = static_cast<int>(file.size("body.0.weight", 4, 0));
  const int layers = file.count([](int i) { return "body." + std::to_string(2 * i) + ".weight"; });
  config.convs = layers - 2;
  const auto last = "body." + std::to_string(2 * (layers - 1)) + ".weight";
  const auto last_out = file.size(last, 4, 0);
  config.scale = static_cast<int>(std::lround(std::sqrt(static_cast<double>(last_out) / config.out_channels)));
  if (config.convs < 0 || config.scale < 1 ||
      static_cast<std::int64_t>(config.scale) * config.scale * config.out_channels != last_out)
    throw FormatError(source.describe(last) + " has " + std::to_string(last_out) +
                      " output channels, not the image's channels times a square scale");
  auto network = std::make_shared<CompactNet>(config);
  file.load(*network, [](const std::string& name) { return name; });
  network->eval();
  const std::string description = "SRVGGNetCompact x" + std::to_string(config.scale) + " (" +
                                  std::to_string(config.features) + " features, " + std::to_string(config.convs) +
                                  " convolutions)";
  return {network, description};
}

// "module." when every tensor has it (a model saved from DataParallel, as A1111 strips it).
std::string common_prefix(const TensorSource& source) {
  const auto& entries = source.entries();
  const bool wrapped = !entries.empty() && std::all_of(entries.begin(), entries.end(), [](const TensorEntry& entry) {
    return entry.name.starts_with("module.");
  });
  return wrapped ? "module." : "";
}

}  // namespace

LoadedUpscaler load_upscaler(const std::shared_ptr<const TensorSource>& weights) {
  const FileNames file(weights, common_prefix(*weights));
  if (file.has("conv_first.weight") && file.has("body.0.rdb1.conv1.weight")) return load_rrdb(file, RrdbNaming::BasicSr);
  if (file.has("conv_first.weight") && file.has("RRDB_trunk.0.RDB1.conv1.weight"))
    return load_rrdb(file, RrdbNaming::Esrgan2019);
  if (file.has("model.0.weight") && file.has("model.1.sub.0.RDB1.conv1.0.weight"))
    return load_rrdb(file, RrdbNaming::Old);
  if (file.has("body.0.weight") && !file.has("conv_first.weight")) return load_compact(file);
  const auto& entries = weights->entries();
  throw UnsupportedModel(file_label(*weights) +
                         ": not an ESRGAN / Real-ESRGAN (RRDBNet) or compact (SRVGGNet) upscaler" +
                         (entries.empty() ? std::string() : " (its first tensor is " + entries.front().name + ")"));
}

LoadedUpscaler load_upscaler(const std::filesystem::path& path) { return load_upscaler(open_weights_file(path)); }

}  // namespace atelier
