#include "ui/size_rules.h"

#include <algorithm>

namespace atelier::ui {

QVariantList SizeRules::presets() const {
  auto preset = [](const char* label, int width, int height) {
    return QVariantMap{{QStringLiteral("label"), QString::fromLatin1(label)},
                       {QStringLiteral("width"), width},
                       {QStringLiteral("height"), height}};
  };
  return {preset("512 × 512", 512, 512),   preset("512 × 768", 512, 768),    preset("768 × 512", 768, 512),
          preset("768 × 768", 768, 768),   preset("1024 × 1024", 1024, 1024), preset("832 × 1216", 832, 1216),
          preset("1216 × 832", 1216, 832)};
}

int SizeRules::snap(int side) const {
  const int rounded = (side + kStep / 2) / kStep * kStep;
  return std::clamp(rounded, kMinimum, kMaximum);
}

bool SizeRules::isValid(int width, int height) const { return problem(width, height).isEmpty(); }

QString SizeRules::problem(int width, int height) const {
  for (int side : {width, height}) {
    if (side < kMinimum || side > kMaximum)
      return tr("%1 is outside %2–%3").arg(side).arg(kMinimum).arg(kMaximum);
    if (side % kStep != 0) return tr("%1 is not a multiple of %2").arg(side).arg(kStep);
  }
  return {};
}

}  // namespace atelier::ui
