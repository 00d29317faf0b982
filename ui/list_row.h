#pragma once
// One row of a list model as QML's `get(row)` returns it: every role by its name.
#include <QAbstractListModel>
#include <QVariantMap>

namespace atelier::ui {

// {} when `row` is out of range.
QVariantMap row_values(const QAbstractListModel& model, int row);

}  // namespace atelier::ui
