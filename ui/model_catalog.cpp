#include "ui/model_catalog.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#include "core/library/library_settings.h"
#include "core/library/model_inspection.h"
#include "ui/list_row.h"
#include "ui/qt_text.h"

namespace atelier::ui {
namespace {

bool is_refiner(const ModelEntry& entry) { return entry.family == ModelFamily::SDXLRefiner; }

ModelEntry model_entry(const std::filesystem::path& path, ModelFamily family, const std::string& description,
                       ImageSize size, const std::string& problem) {
  const QFileInfo file(QString::fromStdString(path.string()));
  ModelEntry entry;
  entry.name = file.isDir() ? file.fileName() : file.completeBaseName();
  entry.path = file.absoluteFilePath();
  entry.family = family;
  entry.description = QString::fromStdString(description);
  entry.unsupported_reason = QString::fromStdString(problem);
  entry.default_width = size.width;
  entry.default_height = size.height;
  return entry;
}

}  // namespace

ModelEntry inspect_model(const QString& path) {
  const std::filesystem::path file = path.toStdString();
  const auto facts = inspect_model_file(ModelKind::Checkpoint, file);
  return model_entry(file, facts.family, facts.description, facts.default_size, facts.problem);
}

std::vector<ModelEntry> library_checkpoints(const ModelLibrary& library) {
  std::vector<ModelEntry> entries;
  for (const auto& checkpoint : library.entries(ModelKind::Checkpoint))  // inspected by the scan
    entries.push_back(
        model_entry(checkpoint.path, checkpoint.family, checkpoint.description, checkpoint.default_size, checkpoint.problem));
  return entries;
}

ModelCatalog::ModelCatalog(QObject* parent)
    : QAbstractListModel(parent), library_(std::make_shared<ModelLibrary>(std::vector<std::filesystem::path>{})) {
  pool_.setMaxThreadCount(1);
  connect(&watcher_, &QFutureWatcher<std::vector<ModelEntry>>::finished, this, [this] {
    show(watcher_.result());
    scanning_ = false;
    Q_EMIT scanningChanged();
    Q_EMIT scanFinished();
    if (std::exchange(scan_again_, false)) scan_library();
  });
}

int ModelCatalog::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant ModelCatalog::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& entry = entries_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
    case NameRole: return entry.name;
    case PathRole: return entry.path;
    case FamilyRole: return qstring(family_name(entry.family));
    case DescriptionRole: return entry.description;
    case SupportedRole: return entry.unsupported_reason.isEmpty();
    case ReasonRole: return entry.unsupported_reason;
    case IsRefinerRole: return is_refiner(entry);
    case DefaultWidthRole: return entry.default_width;
    case DefaultHeightRole: return entry.default_height;
    default: return {};
  }
}

QHash<int, QByteArray> ModelCatalog::roleNames() const {
  return {{NameRole, "name"},
          {PathRole, "path"},
          {FamilyRole, "family"},
          {DescriptionRole, "description"},
          {SupportedRole, "supported"},
          {ReasonRole, "reason"},
          {IsRefinerRole, "isRefiner"},
          {DefaultWidthRole, "defaultWidth"},
          {DefaultHeightRole, "defaultHeight"}};
}

int ModelCatalog::supportedCount() const {
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(),
                                        [](const ModelEntry& e) { return e.unsupported_reason.isEmpty(); }));
}

QVariantList ModelCatalog::refiners() const {
  QVariantList list;
  for (const auto& entry : entries_)
    if (is_refiner(entry) && entry.unsupported_reason.isEmpty())
      list << QVariantMap{{QStringLiteral("name"), entry.name}, {QStringLiteral("path"), entry.path}};
  return list;
}

QStringList ModelCatalog::upscalers() const {
  QStringList names;
  for (const auto& entry : library_->entries(ModelKind::Upscaler)) names << qstring(entry.stem);
  return names;
}

void ModelCatalog::scan(const QStringList& roots, const QStringList& extra_files) {
  std::vector<std::filesystem::path> extra_roots;
  for (const auto& root : roots) extra_roots.emplace_back(root.toStdString());
  library_->set_roots(library_roots_with_own(extra_roots));
  QStringList paths;
  for (const auto& file : extra_files) paths << QFileInfo(file).absoluteFilePath();
  paths.removeDuplicates();
  extra_entries_.clear();
  for (const auto& path : paths) extra_entries_.push_back(inspect_model(path));
  show(library_entries_);
  scan_library();
}

void ModelCatalog::findByHash(const QString& kind, const QString& hash) {
  const auto parsed = parse_model_kind(kind.toStdString());
  if (!parsed) return Q_EMIT foundByHash(kind, hash, QString());
  // On the scans' thread, after any scan asked for before it: the entries are the latest.
  pool_.start([this, library = library_, kind, hash, wanted = *parsed] {
    QString path;
    try {
      if (const auto found = library->find_by_hash(wanted, hash.toStdString())) path = path_qstring(found->path);
    } catch (const std::exception&) {
      // A file that cannot be hashed has no hash to match: not found.
    }
    QMetaObject::invokeMethod(this, [=, this] { Q_EMIT foundByHash(kind, hash, path); }, Qt::QueuedConnection);
  });
}

void ModelCatalog::scan_library() {
  if (scanning_) {
    scan_again_ = true;
    return;
  }
  scanning_ = true;
  Q_EMIT scanningChanged();
  watcher_.setFuture(QtConcurrent::run(&pool_, [library = library_] {
    library->scan();
    return library_checkpoints(*library);
  }));
}

void ModelCatalog::show(std::vector<ModelEntry> library_entries) {
  library_entries_ = std::move(library_entries);
  std::vector<ModelEntry> entries = extra_entries_;
  for (const auto& entry : library_entries_)
    if (std::none_of(entries.begin(), entries.end(), [&](const ModelEntry& e) { return e.path == entry.path; }))
      entries.push_back(entry);
  std::stable_sort(entries.begin(), entries.end(), [](const ModelEntry& a, const ModelEntry& b) {
    return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
  });
  beginResetModel();
  entries_ = std::move(entries);
  endResetModel();
  Q_EMIT countChanged();
}

int ModelCatalog::indexOfPath(const QString& path) const {
  const auto absolute = QFileInfo(path).absoluteFilePath();
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].path == absolute) return static_cast<int>(i);
  return -1;
}

int ModelCatalog::indexOfName(const QString& name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].name == name) return static_cast<int>(i);
  return -1;
}

QVariantMap ModelCatalog::get(int row) const { return row_values(*this, row); }

}  // namespace atelier::ui
