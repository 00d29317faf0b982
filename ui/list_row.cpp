#include "ui/list_row.h"

namespace atelier::ui {

QVariantMap row_values(const QAbstractListModel& model, int row) {
  if (row < 0 || row >= model.rowCount()) return {};
  QVariantMap map;
  const auto roles = model.roleNames();
  for (auto it = roles.begin(); it != roles.end(); ++it)
    map[QString::fromLatin1(it.value())] = model.data(model.index(row), it.key());
  return map;
}

}  // namespace atelier::ui
