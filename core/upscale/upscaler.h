#pragma once
// The upscalers a user picks by name, as A1111 lists them: "Lanczos", "Nearest", or an ESRGAN-
// family model file (upscale_model.h) named by its file name without extension, and how
// A1111's Upscaler.upscale (modules/upscaler.py) enlarges an image by any factor with them.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/io/image_scaling.h"
#include "core/library/model_kind.h"
#include "core/upscale/tiled_upscale.h"
#include "core/upscale/upscale_model.h"

namespace atelier {

class Upscaler {
 public:
  static Upscaler lanczos();
  static Upscaler nearest();
  // Loads the model (upscale_model.h's errors) and runs it tiled with `tiles`.
  static Upscaler model(const std::filesystem::path& file, TileOptions tiles = {});

  // "Lanczos", "Nearest", or the model file's name without extension (A1111's names, which
  // its infotexts record).
  const std::string& name() const { return name_; }
  // What it is, for messages: "Lanczos", or the model's architecture and sizes.
  const std::string& description() const { return description_; }

  // As A1111's Upscaler.upscale: the target is (side * scale) rounded down to a multiple of 8;
  // a model runs (up to 3 times) until the image is at least that large, then the result is
  // resized to the target with Lanczos; Lanczos and Nearest resize to side * scale (truncated)
  // first. The model sees RGB in [0, 1] (as Real-ESRGAN and ComfyUI feed it; A1111 reverses
  // the channels to BGR), and its output is clamped and truncated to 8 bits as A1111 does.
  // InvalidArgument for a scale that is not positive or a target under 8 pixels.
  Image8 upscale(const Image8& image, double scale) const;

  // One pass of the model alone (no resizing): its native scale. Not for Lanczos / Nearest.
  Image8 run_model(const Image8& image) const;

 private:
  enum class Kind { Lanczos, Nearest, Model };
  Upscaler(Kind kind, std::string name, std::string description)
      : kind_(kind), name_(std::move(name)), description_(std::move(description)) {}

  Kind kind_;
  std::string name_;
  std::string description_;
  std::shared_ptr<UpscaleNetwork> network_;
  TileOptions tiles_;
};

// A1111's upscalers that are no model file (sd_upscalers' first entries), in its order: "None"
// leaves the size to a plain Lanczos resize wherever an upscaler is optional.
inline constexpr std::array<std::string_view, 3> kBuiltInUpscalers{"None", "Lanczos", "Nearest"};

// "Lanczos" or "Nearest" (as A1111 names them, any case); else an upscaler file: `query` when it
// is a file, else the library's upscaler of that name (`find`: ModelLibrary::resolver()).
// InvalidArgument naming the query when there is none.
Upscaler open_upscaler(std::string_view query, const ModelResolver& find, TileOptions tiles = {});

}  // namespace atelier
