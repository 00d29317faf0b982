#pragma once
// The engine's menus as the form offers them, in A1111's order and spelling.
#include <QStringList>

namespace atelier::ui {

QStringList sampler_names();
QStringList schedule_names();
QStringList resize_mode_names();
QStringList hires_upscaler_names();  // those that are no file: the latent modes, None, Lanczos, Nearest
QStringList extras_upscaler_names();  // the Upscale action's that are no file: Lanczos, Nearest
QStringList noise_source_names();  // "CPU", "NV": A1111's "RNG source"
// "auto" and every device this build and machine can run on ("cpu", "cuda", "mps").
QStringList available_device_names();

}  // namespace atelier::ui
