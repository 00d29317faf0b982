#pragma once
// The metadata of an upscaled copy of an image, as A1111's extras tab writes it
// (modules/postprocessing.py, scripts/postprocessing_upscale.py).
#include <string>
#include <vector>

#include "core/io/png.h"

namespace atelier {

// The source's text chunks as they were (its "parameters" above all: the copy re-runs as the
// source does), without an earlier upscale's "postprocessing" and "extras", then those two, both
// holding A1111's infotext "Postprocess upscale by: 4, Postprocess upscaler: 4x-UltraSharp" and,
// when a second upscaler was blended in, ", Postprocess upscaler 2: Lanczos" (values quoted as
// A1111 quotes them when they hold ',', ':' or a newline).
std::vector<PngText> upscaled_image_texts(const std::vector<PngText>& source, double scale,
                                          const std::string& upscaler, const std::string& second_upscaler = {});

}  // namespace atelier
