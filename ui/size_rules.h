#pragma once
// Image size rules for the generate form: multiples of 8 (the VAE's factor) within the
// engine's limits, and the usual presets.
#include <QObject>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace atelier::ui {

class SizeRules : public QObject {
  Q_OBJECT
  QML_NAMED_ELEMENT(Sizes)
  QML_SINGLETON
  Q_PROPERTY(int minimum READ minimum CONSTANT)
  Q_PROPERTY(int maximum READ maximum CONSTANT)
  Q_PROPERTY(int step READ step CONSTANT)
  Q_PROPERTY(QVariantList presets READ presets CONSTANT)

 public:
  using QObject::QObject;

  static constexpr int kMinimum = 64;
  static constexpr int kMaximum = 8192;
  static constexpr int kStep = 8;

  int minimum() const { return kMinimum; }
  int maximum() const { return kMaximum; }
  int step() const { return kStep; }
  // [{label, width, height}]: SD1's 512 squares and the common SDXL-era aspect ratios.
  QVariantList presets() const;
  // The presets for a model family (ModelCatalog's `family`): SDXL's trained resolutions for
  // "SDXL base" and "SDXL refiner", else presets().
  Q_INVOKABLE QVariantList presetsFor(const QString& family) const;

  // The nearest valid side: rounded to a multiple of 8 and clamped to the limits.
  Q_INVOKABLE int snap(int side) const;
  Q_INVOKABLE bool isValid(int width, int height) const;
  // Why a size cannot be generated, or "" when it can.
  Q_INVOKABLE QString problem(int width, int height) const;
};

}  // namespace atelier::ui
