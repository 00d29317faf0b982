#include "core/models/standalone_vae.h"

#include "core/models/diffusers_folder.h"
#include "core/models/model_source.h"
#include "core/models/weights.h"

namespace atelier {
namespace {

const std::string kVaePrefix = "first_stage_model.";

// A1111's load_vae_dict leaves these out: the training loss's weights and LitEma's counters.
bool is_training_state(const std::string& name) {
  return name.starts_with("loss") || name == "model_ema.decay" || name == "model_ema.num_updates";
}

// `file`'s VAE tensors without prefix: those under first_stage_model. when it has any (a whole
// checkpoint), else all but the training state.
std::shared_ptr<const TensorSource> vae_tensors(const std::shared_ptr<const TensorSource>& file) {
  bool prefixed = false;
  for (const auto& entry : file->entries()) prefixed = prefixed || entry.name.starts_with(kVaePrefix);
  std::vector<RenamedTensors::Entry> entries;
  for (const auto& entry : file->entries()) {
    if (prefixed ? !entry.name.starts_with(kVaePrefix) : is_training_state(entry.name)) continue;
    TensorEntry renamed = entry;
    if (prefixed) renamed.name = entry.name.substr(kVaePrefix.size());
    entries.push_back({std::move(renamed), {{file, entry.name}}, nullptr});
  }
  return std::make_shared<const RenamedTensors>(file->path(), std::move(entries));
}

// Loads `source`'s tensors under `prefix` into the model's VAE, or streams them from there.
void load_vae(StableDiffusionModel& model, const std::shared_ptr<const TensorSource>& source, const std::string& prefix) {
  if (model.vae_weights)
    model.vae_weights = model.vae_weights->reading(source, prefix);
  else
    load_weights(*model.vae, *source, prefix);
}

}  // namespace

std::shared_ptr<const TensorSource> open_standalone_vae(const std::filesystem::path& path) {
  if (is_diffusers_vae(path)) return open_diffusers_vae(path);
  if (is_diffusers_pipeline(path)) return open_diffusers_vae(path / "vae");
  return vae_tensors(open_weights_file(path));
}

void use_vae(StableDiffusionModel& model, const std::optional<std::filesystem::path>& vae) {
  if (vae == model.vae_file) return;
  if (vae)
    load_vae(model, open_standalone_vae(*vae), "");
  else
    load_vae(model, open_model_source(model.info.path), kVaePrefix);
  model.vae_file = vae;
}

}  // namespace atelier
