#pragma once
// The files a request names besides its model, checked before a model loads.
#include "core/networks/addon_folders.h"
#include "core/pipeline/generation_params.h"

namespace atelier {

// The init image and the mask decode, the refiner is a checkpoint Atelier can run and the
// VAE choice names a VAE (beside the model or in `addons`): FormatError, UnsupportedModel or InvalidArgument naming the file
// otherwise.
void check_input_files(const GenerationParams& params, const AddonFolders& addons);

}  // namespace atelier
