#pragma once
// What a file of the model library is for, and the one call generation code makes to find an
// add-on by the name a prompt or a setting gives (`<lora:NAME:0.8>`, an embedding's word, a VAE).
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace atelier {

// Taesd: the tiny preview decoders (taesd_decoder, taesdxl_decoder) live previews use.
enum class ModelKind { Checkpoint, Lora, Lycoris, Embedding, Vae, Upscaler, Taesd };

std::string_view kind_name(ModelKind kind);  // "checkpoint", "lora", "lycoris", "embedding", "vae", "upscaler", "taesd"
std::optional<ModelKind> parse_model_kind(std::string_view name);  // the inverse; nullopt when unknown

// LoRA and LyCORIS files share one namespace, as in A1111's Lora extension: asking for either
// finds both.
bool kind_matches(ModelKind wanted, ModelKind entry);
// LoRA or LyCORIS: the kinds a prompt's <lora:...> tag names.
bool is_network(ModelKind kind);

// The file (or diffusers folder) the library holds under `name` for `kind`: a file stem, a name
// relative to its kind folder, a network's alias (ss_output_name), a hash or a path; nullopt when
// the library has none. Case-sensitive, as A1111's lookups are. ModelLibrary::resolver() makes one.
using ModelResolver = std::function<std::optional<std::filesystem::path>(ModelKind kind, std::string_view name)>;

}  // namespace atelier
