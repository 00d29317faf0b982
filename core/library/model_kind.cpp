#include "core/library/model_kind.h"

#include <array>
#include <utility>

namespace atelier {
namespace {

constexpr std::array<std::pair<ModelKind, std::string_view>, 7> kNames{{
    {ModelKind::Checkpoint, "checkpoint"},
    {ModelKind::Lora, "lora"},
    {ModelKind::Lycoris, "lycoris"},
    {ModelKind::Embedding, "embedding"},
    {ModelKind::Vae, "vae"},
    {ModelKind::Upscaler, "upscaler"},
    {ModelKind::Taesd, "taesd"},
}};

}  // namespace

bool is_network(ModelKind kind) { return kind == ModelKind::Lora || kind == ModelKind::Lycoris; }

std::string_view kind_name(ModelKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "unknown";
}

std::optional<ModelKind> parse_model_kind(std::string_view name) {
  for (const auto& [kind, text] : kNames)
    if (text == name) return kind;
  return std::nullopt;
}

bool kind_matches(ModelKind wanted, ModelKind entry) {
  return wanted == entry || (is_network(wanted) && is_network(entry));
}

}  // namespace atelier
