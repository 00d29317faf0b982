#pragma once
// Few-step models (SD-Turbo and SDXL-Turbo, LCM checkpoints and LCM-LoRAs, SDXL-Lightning,
// Hyper-SD) make an image in 1 to 8 steps at CFG about 1, and a mess at the usual 20 steps and CFG
// 7. Users of A1111 and ComfyUI recognise them by name: the file says "turbo", "lcm",
// "lightning" or "Hyper-SD", often with its step count ("sdxl_lightning_4step"). The studio
// offers these defaults; the user applies them.
#include <QObject>
#include <QString>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace atelier::ui {

struct FewStepDefaults {
  QString kind;    // "Turbo", "LCM", "Lightning", "Hyper-SD"
  QString source;  // the model or LoRA name that says so
  int steps = 4;
  double cfg_scale = 1;
  QString sampler;   // A1111 names, as the engine lists them
  QString schedule;
};

// From the model's file name (its stem) or else the first LoRA of the prompt (`<lora:NAME:w>`)
// that names a few-step kind; nullopt when none does.
std::optional<FewStepDefaults> few_step_defaults(const QString& model_name, const QString& prompt);

class FewStepRules : public QObject {
  Q_OBJECT
  QML_NAMED_ELEMENT(FewStep)
  QML_SINGLETON

 public:
  using QObject::QObject;

  // few_step_defaults as {kind, source, steps, cfgScale, sampler, schedule}, or {} for none.
  Q_INVOKABLE QVariantMap suggest(const QString& modelName, const QString& prompt) const;
};

}  // namespace atelier::ui
