#include "core/pipeline/input_files.h"

#include "core/models/checkpoint.h"
#include "core/pipeline/vae_choice.h"

namespace atelier {

void check_input_files(const GenerationParams& params, const AddonFolders& addons) {
  if (params.init_image) load_image(*params.init_image);
  if (params.mask) load_image(*params.mask);
  if (params.refiner) require_supported(inspect_checkpoint(*params.refiner));
  resolve_vae(params.vae, params.model, addons, params.vae_hash);
}

}  // namespace atelier
