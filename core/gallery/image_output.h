#pragma once
// Saving generated images: A1111-style file names and the metadata every image carries.
#include <filesystem>
#include <vector>

#include "core/gallery/a1111_parameters.h"
#include "core/gallery/params_json.h"
#include "core/io/png.h"
#include "core/pipeline/pipeline.h"

namespace atelier {

// A1111's infotext fields for `params` ("Steps", "Sampler", "Schedule type", "CFG scale", ...).
// "Init image hash" is the AutoV2-style hash of the init image file, when it can be read;
// "Mask blur" comes with a mask, "Refiner" ("name [hash]") and "Refiner switch at" with a refiner,
// "VAE hash" and "VAE" (the file name) with a standalone VAE, "Denoising strength" and the
// "Hires ..." fields with hires fix.
A1111Parameters a1111_parameters(const GenerationParams& params);

// `file` for one image; `name-1.png`, `name-2.png`, ... for several.
std::vector<std::filesystem::path> numbered_outputs(const std::filesystem::path& file, std::size_t count);

// A1111's `00042-SUFFIX.png` names in `dir` (created if needed), one a suffix, numbered after
// the highest there.
std::vector<std::filesystem::path> sequential_outputs(const std::filesystem::path& dir,
                                                      const std::vector<std::string>& suffixes);
// The same for generated images: `00042-1234.png`, the suffix each image's seed.
std::vector<std::filesystem::path> sequential_outputs(const std::filesystem::path& dir,
                                                      const std::vector<GeneratedImage>& images);

// The text chunks every generated PNG carries: A1111's `parameters` and our `atelier` JSON
// (which records `run` too).
std::vector<PngText> generated_image_texts(const GeneratedImage& image, const std::optional<RunInfo>& run = std::nullopt);

// Writes the PNG atomically with A1111's `parameters` text chunk and our `atelier` JSON chunk
// (which records `run` too). Throws Error naming the path.
void save_generated_image(const std::filesystem::path& path, const GeneratedImage& image,
                          const std::optional<RunInfo>& run = std::nullopt);

}  // namespace atelier
