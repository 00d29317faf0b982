#include "ui/size_rules.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace atelier::ui {

namespace {

QVariantList preset_list(std::initializer_list<std::pair<int, int>> sizes) {
  QVariantList list;
  for (const auto& [width, height] : sizes)
    list << QVariantMap{{QStringLiteral("label"), QStringLiteral("%1 × %2").arg(width).arg(height)},
                        {QStringLiteral("width"), width},
                        {QStringLiteral("height"), height}};
  return list;
}

}  // namespace

QVariantList SizeRules::presets() const {
  return preset_list({{512, 512}, {512, 768}, {768, 512}, {768, 768}, {1024, 1024}, {832, 1216}, {1216, 832}});
}

QVariantList SizeRules::presetsFor(const QString& family) const {
  if (!family.startsWith(QLatin1String("SDXL"))) return presets();
  // The resolutions SDXL was trained at, about a megapixel each (Stability AI's list).
  return preset_list({{1024, 1024}, {1152, 896}, {896, 1152}, {1216, 832}, {832, 1216}, {1344, 768}, {768, 1344},
                      {1536, 640}, {640, 1536}});
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
