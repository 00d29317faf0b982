#pragma once
// The files a request names besides its model, checked before a model loads.
#include "core/pipeline/generation_params.h"

namespace atelier {

// The init image and the mask decode, the refiner is a checkpoint Atelier can run and the
// VAE choice names a VAE: FormatError, UnsupportedModel or InvalidArgument naming the file
// otherwise.
void check_input_files(const GenerationParams& params);

}  // namespace atelier
