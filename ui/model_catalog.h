#pragma once
// The checkpoints in the models folders, for the model picker: each with its family and the
// size it starts at, and with the reason when Atelier cannot run it (the picker shows those
// disabled).
#include <QAbstractListModel>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "core/models/checkpoint.h"

namespace atelier::ui {

struct ModelEntry {
  QString name;         // file name without extension
  QString path;
  ModelFamily family = ModelFamily::Unknown;
  QString description;  // "SD1.x (epsilon)"; empty when unsupported
  QString unsupported_reason;
  int default_width = 512;  // the family's (core/library/family_sizes.h)
  int default_height = 512;
};

// Inspects one file's header (no weights are read). Never throws: problems become the reason.
ModelEntry inspect_model(const QString& path);

class ModelCatalog : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the model catalog")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(int supportedCount READ supportedCount NOTIFY countChanged)
  Q_PROPERTY(QVariantList refiners READ refiners NOTIFY countChanged)

 public:
  enum Role {
    NameRole = Qt::UserRole + 1,
    PathRole,
    FamilyRole,
    DescriptionRole,
    SupportedRole,
    ReasonRole,
    IsRefinerRole,
    DefaultWidthRole,
    DefaultHeightRole
  };
  static const QStringList kExtensions;  // what is listed: safetensors, and pickles to explain

  using QAbstractListModel::QAbstractListModel;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  int supportedCount() const;
  QVariantList refiners() const;  // [{name, path}] of the supported SDXL refiners
  // Lists `folders` (not recursively) plus `extra_files`, sorted by name.
  void scan(const QStringList& folders, const QStringList& extra_files = {});
  Q_INVOKABLE int indexOfPath(const QString& path) const;  // -1 when absent
  Q_INVOKABLE int indexOfName(const QString& name) const;  // by file stem, as infotexts name models
  Q_INVOKABLE QVariantMap get(int row) const;

 Q_SIGNALS:
  void countChanged();

 private:
  std::vector<ModelEntry> entries_;
};

}  // namespace atelier::ui
