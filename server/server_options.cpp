#include "server/server_options.h"

#include "core/sampling/names.h"
#include "server/api_error.h"
#include "server/json_fields.h"

namespace atelier::server {

nlohmann::json options_json(const ServerOptions& options) {
  return {
      {"sd_model_checkpoint", options.sd_model_checkpoint.empty() ? nlohmann::json() : nlohmann::json(options.sd_model_checkpoint)},
      {"sd_checkpoint_hash", options.sd_checkpoint_hash.empty() ? nlohmann::json() : nlohmann::json(options.sd_checkpoint_hash)},
      {"CLIP_stop_at_last_layers", options.clip_stop_at_last_layers},
      {"sd_vae", options.sd_vae},
      {"samples_format", "png"},
      {"randn_source", options.randn_source == NoiseKind::Nv ? "NV" : "CPU"},
  };
}

ServerOptions apply_options(ServerOptions options, const nlohmann::json& changes, ModelCatalog& catalog,
                            const std::string& prefix) {
  const JsonFields fields(changes, prefix);
  if (const auto name = fields.string("sd_model_checkpoint")) {
    const auto found = catalog.find_checkpoint(*name);
    if (!found) throw ApiError(404, fields.field("sd_model_checkpoint") + ": model '" + *name + "' not found (see /sdapi/v1/sd-models)");
    if (found->title != options.sd_model_checkpoint) options.sd_checkpoint_hash.clear();
    options.sd_model_checkpoint = found->title;
  }
  if (const auto skip = fields.integer_in("CLIP_stop_at_last_layers", 1, 12)) options.clip_stop_at_last_layers = int(*skip);
  if (const auto vae = fields.string("sd_vae")) {
    if (same_name(*vae, "Automatic") || same_name(*vae, "auto")) {
      options.sd_vae = "Automatic";
    } else if (same_name(*vae, "None")) {
      options.sd_vae = "None";
    } else {
      if (!catalog.find_vae(*vae)) throw ApiError(404, fields.field("sd_vae") + ": VAE '" + *vae + "' not found (see /sdapi/v1/sd-vae)");
      options.sd_vae = *vae;
    }
  }
  if (const auto format = fields.string("samples_format"); format && !same_name(*format, "png"))
    throw FieldError(fields.field("samples_format"), "'" + *format + "': Atelier writes PNG only");
  if (const auto source = fields.string("randn_source")) {
    if (same_name(*source, "CPU")) options.randn_source = NoiseKind::Cpu;
    else if (same_name(*source, "NV")) options.randn_source = NoiseKind::Nv;
    else throw FieldError(fields.field("randn_source"), "'" + *source + "': Atelier draws noise as CPU or NV (the same on every device)");
  }
  return options;
}

std::string vae_choice(const ServerOptions& options, ModelCatalog& catalog) {
  if (options.sd_vae == "Automatic") return "auto";
  if (options.sd_vae == "None") return "none";
  const auto path = catalog.find_vae(options.sd_vae);
  if (!path) throw ApiError(404, "sd_vae: VAE '" + options.sd_vae + "' is no longer in the library");
  return path->string();
}

}  // namespace atelier::server
