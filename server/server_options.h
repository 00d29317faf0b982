#pragma once
// The A1111 settings the server honours (GET/POST /sdapi/v1/options, override_settings): the
// checkpoint, Clip skip, the VAE, the image format and the noise source. Other keys are ignored,
// as A1111's opts.set ignores keys it does not know.
#include <nlohmann/json.hpp>
#include <string>

#include "core/sampling/noise.h"
#include "server/model_catalog.h"

namespace atelier::server {

struct ServerOptions {
  std::string sd_model_checkpoint;     // the checkpoint's title; empty when the library has none
  std::string sd_checkpoint_hash;      // its SHA-256 once loaded (A1111's read-only option)
  int clip_stop_at_last_layers = 1;    // CLIP_stop_at_last_layers
  std::string sd_vae = "Automatic";    // "Automatic", "None" or a VAE's file name
  // randn_source: "CPU" as Atelier's CLI draws noise (A1111's own default is "GPU", which has
  // no device-independent meaning).
  NoiseKind randn_source = NoiseKind::Cpu;
};

// A1111's keys and values.
nlohmann::json options_json(const ServerOptions& options);

// `changes` applied over `options`: each known key validated (FieldError naming `prefix` + key;
// ApiError 404 for a checkpoint or VAE the catalog does not have), unknown keys ignored.
ServerOptions apply_options(ServerOptions options, const nlohmann::json& changes, ModelCatalog& catalog,
                            const std::string& prefix = "");

// GenerationParams::vae for A1111's sd_vae value: "auto", "none" or the VAE file's path.
std::string vae_choice(const ServerOptions& options, ModelCatalog& catalog);

}  // namespace atelier::server
