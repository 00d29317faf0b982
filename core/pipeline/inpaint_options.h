#pragma once
// The inpainting settings' names: the CLI's and the JSON's, and A1111's labels as its
// infotext writes them ("Inpaint area: Only masked", "Masked content: latent noise").
#include <string>
#include <string_view>

#include "core/pipeline/generation_params.h"

namespace atelier {

// "whole picture", "only masked" (A1111's labels).
std::string_view to_string(GenerationParams::InpaintArea area);
// Case-insensitive, '-' or '_' for spaces: "whole", "masked", A1111's labels, its indices "0"
// and "1". InvalidArgument listing the choices.
GenerationParams::InpaintArea parse_inpaint_area(std::string_view name);
// A1111's label: "Whole picture", "Only masked".
std::string_view a1111_label(GenerationParams::InpaintArea area);

// "fill", "original", "latent noise", "latent nothing" (A1111's labels).
std::string_view to_string(GenerationParams::MaskedContent content);
// Case-insensitive, '-' or '_' for spaces, or A1111's indices "0" to "3". InvalidArgument
// listing the choices.
GenerationParams::MaskedContent parse_masked_content(std::string_view name);

// "left,right,top,bottom" in pixels, e.g. "0,64,0,0"; InvalidArgument naming --outpaint.
GenerationParams::Borders parse_borders(std::string_view text);
std::string to_string(GenerationParams::Borders borders);

}  // namespace atelier
