// Our own `atelier` chunk: the complete GenerationParams, read back unchanged.
#include "core/error.h"
#include "core/gallery/metadata_readers.h"

namespace atelier {

std::optional<ImageMetadata> read_atelier_metadata(const std::vector<PngText>& texts) {
  const std::string* text = find_text(texts, kAtelierChunkKeyword);
  if (!text) return std::nullopt;
  try {
    AtelierRecord record = parse_params_json(*text);
    ImageMetadata metadata;
    metadata.source = "atelier";
    metadata.params = std::move(record.params);
    metadata.run = record.run;
    return metadata;
  } catch (const FormatError&) {
    // A damaged or newer chunk: the other chunks (our A1111 text) still tell most of it.
    return std::nullopt;
  }
}

}  // namespace atelier
