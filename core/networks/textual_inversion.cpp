#include "core/networks/textual_inversion.h"

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/sha256.h"
#include "core/io/torch_checkpoint.h"

namespace atelier {
namespace {

at::Tensor as_vectors(const at::Tensor& tensor) {
  const auto values = tensor.to(at::kFloat).contiguous().clone();
  return values.dim() == 1 ? values.unsqueeze(0) : values;
}

std::map<std::string, at::Tensor> safetensors_vectors(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  if (file.contains("clip_l") && file.contains("clip_g"))
    return {{"clip_l", as_vectors(file.tensor("clip_l"))}, {"clip_g", as_vectors(file.tensor("clip_g"))}};
  if (file.entries().size() != 1)
    throw FormatError(path.string() + ": an embedding file holds one tensor (or clip_l and clip_g), this one has " +
                      std::to_string(file.entries().size()));
  return {{"", as_vectors(file.tensor(file.entries().front().name))}};
}

// A torch.save'd embedding: A1111's textual-inversion dict (`string_to_param` with one entry),
// SDXL's {clip_l, clip_g}, or a diffusers concept ({token: tensor}).
std::map<std::string, at::Tensor> pickle_vectors(const std::filesystem::path& path) {
  const auto data = read_torch_pickle(path);
  using Kind = PickleValue::Kind;
  const auto fail = [&](const std::string& why) { return FormatError(path.string() + ": " + why); };
  if (!data.is(Kind::Dict)) throw fail("not an embedding (the file holds no dict)");
  if (const auto* params = data.find("string_to_param")) {
    if (!params->is(Kind::Dict) || params->items().size() != 1 || !params->items()[0].second.is(Kind::Tensor))
      throw fail("the embedding's string_to_param must hold exactly one tensor");
    return {{"", as_vectors(params->items()[0].second.tensor())}};
  }
  const auto* clip_l = data.find("clip_l");
  const auto* clip_g = data.find("clip_g");
  if (clip_l && clip_g && clip_l->is(Kind::Tensor) && clip_g->is(Kind::Tensor))
    return {{"clip_l", as_vectors(clip_l->tensor())}, {"clip_g", as_vectors(clip_g->tensor())}};
  if (data.items().size() == 1 && data.items()[0].second.is(Kind::Tensor))
    return {{"", as_vectors(data.items()[0].second.tensor())}};
  throw fail("neither a textual-inversion embedding nor a diffusers concept");
}

}  // namespace

TextualInversion read_textual_inversion(const std::filesystem::path& path) {
  TextualInversion embedding{path.stem().string(), path, {}, 0, {}};
  embedding.vectors = path.extension() == ".safetensors" ? safetensors_vectors(path) : pickle_vectors(path);
  const auto& first = embedding.vectors.begin()->second;
  if (first.dim() != 2) throw FormatError(path.string() + ": an embedding's vectors must be [count, width]");
  embedding.count = static_cast<int>(first.size(0));
  embedding.short_hash = autov2_hash(path);
  return embedding;
}

}  // namespace atelier
