#pragma once
// The checkpoints of the model library (its roots: A1111 or ComfyUI installs, Atelier's folder,
// any folder of checkpoints), for the model picker: each with its family and the size it starts
// at, and with the reason when Atelier cannot run it (the picker shows those disabled). The
// library is scanned off the UI thread.
#include <QAbstractListModel>
#include <QFutureWatcher>
#include <QStringList>
#include <QThreadPool>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <vector>

#include "core/library/model_library.h"
#include "core/models/checkpoint.h"

namespace atelier::ui {

struct ModelEntry {
  QString name;         // file name without extension
  QString path;
  ModelFamily family = ModelFamily::Unknown;
  QString description;  // "SD1.x (epsilon)"; empty when the file cannot be read
  QString unsupported_reason;
  int default_width = 512;  // the family's (core/library/family_sizes.h)
  int default_height = 512;
};

// Inspects one checkpoint (file or diffusers folder) without reading its weights. Never throws:
// problems become the reason.
ModelEntry inspect_model(const QString& path);

// The checkpoints of a scanned library, inspected.
std::vector<ModelEntry> library_checkpoints(const ModelLibrary& library);

class ModelCatalog : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the model catalog")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(int supportedCount READ supportedCount NOTIFY countChanged)
  Q_PROPERTY(QVariantList refiners READ refiners NOTIFY countChanged)
  Q_PROPERTY(QStringList upscalers READ upscalers NOTIFY countChanged)
  Q_PROPERTY(bool scanning READ scanning NOTIFY scanningChanged)

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

  explicit ModelCatalog(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  int supportedCount() const;
  QVariantList refiners() const;  // [{name, path}] of the supported SDXL refiners
  QStringList upscalers() const;  // the library's upscaler models, by the names A1111 gives them
  bool scanning() const { return scanning_; }
  // Lists the library of Atelier's folder and `roots` (in the background; the list changes when
  // the scan ends) plus `extra_files` (at once), sorted by name.
  void scan(const QStringList& roots, const QStringList& extra_files = {});
  Q_INVOKABLE int indexOfPath(const QString& path) const;  // -1 when absent
  Q_INVOKABLE int indexOfName(const QString& name) const;  // by file stem, as infotexts name models
  Q_INVOKABLE QVariantMap get(int row) const;
  // Looks for the library's file of `kind` (kind_name(): "checkpoint", "vae", "lora") with the
  // hash `hash` (AutoV2, A1111's old model hash, a network's addnet hash), hashing the files not
  // hashed yet off the UI thread; foundByHash follows, with "" for the path when none has it.
  Q_INVOKABLE void findByHash(const QString& kind, const QString& hash);
  // The library the scans fill (its add-ons are listed by AddonCatalog from the same scan);
  // mutable because finding by hash remembers the hashes computed.
  std::shared_ptr<ModelLibrary> library() const { return library_; }

 Q_SIGNALS:
  void countChanged();
  void scanningChanged();
  void scanFinished();
  void foundByHash(const QString& kind, const QString& hash, const QString& path);

 private:
  void scan_library();
  void show(std::vector<ModelEntry> library_entries);

  std::vector<ModelEntry> entries_;          // what the picker shows: the two lists below, by name
  std::vector<ModelEntry> library_entries_;  // as of the last library scan
  std::vector<ModelEntry> extra_entries_;    // files added one by one
  std::shared_ptr<ModelLibrary> library_;    // shared with the scan running in the background
  bool scanning_ = false;
  bool scan_again_ = false;  // the roots changed during a scan
  QFutureWatcher<std::vector<ModelEntry>> watcher_;
  QThreadPool pool_;  // last: destroyed first, waiting for a scan still running
};

}  // namespace atelier::ui
