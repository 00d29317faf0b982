#include "ui/engine_choices.h"

#include "core/error.h"
#include "core/io/image.h"
#include "core/pipeline/device_policy.h"
#include "core/pipeline/hires_fix.h"
#include "core/sampling/sampler_registry.h"
#include "ui/qt_text.h"

namespace atelier::ui {
QStringList sampler_names() {
  QStringList names;
  for (const auto& spec : samplers()) names << qstring(spec.name);
  return names;
}

QStringList schedule_names() {
  QStringList names;
  for (auto type : schedule_types()) names << qstring(to_string(type));
  return names;
}

QStringList resize_mode_names() {
  QStringList names;
  for (auto mode : {ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill})
    names << qstring(to_string(mode));
  return names;
}

QStringList hires_upscaler_names() {
  QStringList names;
  for (const auto& name : built_in_hires_upscalers()) names << qstring(name);
  return names;
}

QStringList extras_upscaler_names() {
  QStringList names;
  for (const auto name : kBuiltInUpscalers)
    if (name != "None") names << qstring(name);  // the action always enlarges
  return names;
}

QStringList noise_source_names() { return {QStringLiteral("CPU"), QStringLiteral("NV")}; }

QStringList available_device_names() {
  QStringList names{QStringLiteral("auto")};
  for (auto choice : {DeviceChoice::Cpu, DeviceChoice::Cuda, DeviceChoice::Mps}) {
    try {
      resolve_target(choice);
      names << qstring(to_string(choice));
    } catch (const Error&) {
      // Not in this build or on this machine: not offered.
    }
  }
  return names;
}

}  // namespace atelier::ui
