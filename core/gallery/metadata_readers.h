#pragma once
// One reader per tool's PNG metadata. Each returns nullopt when the texts are not its format
// and never throws for a malformed value: what it cannot map goes to `extra` or `unmapped`.
#include <optional>
#include <string_view>
#include <vector>

#include "core/gallery/a1111_parameters.h"
#include "core/gallery/image_metadata.h"

namespace atelier {

// The text of the first chunk named `keyword`, or nullptr.
const std::string* find_text(const std::vector<PngText>& texts, std::string_view keyword);

// A JSON string as itself, any other value as JSON text: for `extra`.
std::string json_text(const nlohmann::json& value);
// The string member `key` of `object`, or "" when absent or not a string (never throws).
std::string json_string(const nlohmann::json& object, std::string_view key);

std::optional<ImageMetadata> read_atelier_metadata(const std::vector<PngText>& texts);     // `atelier` JSON
std::optional<ImageMetadata> read_comfyui_metadata(const std::vector<PngText>& texts);     // `prompt` API graph
std::optional<ImageMetadata> read_invokeai_metadata(const std::vector<PngText>& texts);    // `invokeai_metadata`
std::optional<ImageMetadata> read_invokeai2_metadata(const std::vector<PngText>& texts);   // `sd-metadata`, `Dream`
std::optional<ImageMetadata> read_fooocus_metadata(const std::vector<PngText>& texts);     // `parameters` JSON
std::optional<ImageMetadata> read_sdcpp_metadata(const std::vector<PngText>& texts);       // `parameters` text
std::optional<ImageMetadata> read_drawthings_metadata(const std::vector<PngText>& texts);  // `Description`, `Comment`
std::optional<ImageMetadata> read_a1111_metadata(const std::vector<PngText>& texts);       // `parameters` text

// A1111's fields mapped onto params ("Steps", "Sampler" with legacy names split, "Size",
// "Model hash", ...); the rest kept in `extra`. Shared by the readers of A1111-like text.
ImageMetadata metadata_from_a1111(const A1111Parameters& parameters, std::string source);

}  // namespace atelier
