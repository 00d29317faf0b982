#include "ui/addon_catalog.h"

#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#include "core/error.h"
#include "core/gallery/metadata_values.h"
#include "core/networks/textual_inversion.h"
#include "core/text/extra_networks.h"
#include "ui/list_row.h"
#include "ui/qt_text.h"

namespace atelier::ui {
namespace {

// What a click on the card puts in the prompt: A1111 writes `<lora:NAME:1>` for LyCORIS too.
QString insert_text(const AddonEntry& entry) {
  return is_network(entry.kind) ? QStringLiteral("<lora:%1:1>").arg(entry.name) : entry.name;
}

AddonEntry addon_of(const LibraryEntry& file) {
  AddonEntry entry;
  entry.kind = file.kind;
  entry.name = qstring(file.stem);
  entry.alias = qstring(file.alias);
  entry.path = QString::fromStdString(file.path.string());
  entry.family = file.family;
  entry.preview = find_preview(file.path);
  entry.problem = qstring(file.problem);
  if (file.kind == ModelKind::Embedding && file.problem.empty()) {
    try {
      entry.vectors = read_textual_inversion(file.path).count;
    } catch (const std::exception& error) {
      entry.problem = QString::fromUtf8(error.what());
    }
  }
  return entry;
}

bool matches(const AddonEntry& entry, const QString& search) {
  return entry.name.contains(search, Qt::CaseInsensitive) || entry.alias.contains(search, Qt::CaseInsensitive);
}

}  // namespace

QString find_preview(const std::filesystem::path& file) {
  const auto base = (file.parent_path() / file.stem()).string();
  for (const char* extension : {"png", "jpg", "jpeg", "webp", "gif"})
    for (const auto& candidate : {base + "." + extension, base + ".preview." + extension}) {
      std::error_code ignored;
      if (std::filesystem::is_regular_file(candidate, ignored)) return QString::fromStdString(candidate);
    }
  return {};
}

std::vector<AddonEntry> library_addons(const ModelLibrary& library) {
  std::vector<AddonEntry> addons;
  for (const auto kind : {ModelKind::Lora, ModelKind::Embedding})
    for (const auto& file : library.entries(kind)) addons.push_back(addon_of(file));
  std::stable_sort(addons.begin(), addons.end(), [](const AddonEntry& a, const AddonEntry& b) {
    return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
  });
  return addons;
}

QString family_warning(const QString& addon_family, const QString& model_family) {
  const auto known = [](const QString& family) { return !family.isEmpty() && family != qstring(family_name(ModelFamily::Unknown)); };
  if (!known(addon_family) || !known(model_family) || addon_family == model_family) return {};
  return QObject::tr("made for %1; the model is %2").arg(addon_family, model_family);
}

AddonCatalog::AddonCatalog(QObject* parent) : QAbstractListModel(parent) {
  pool_.setMaxThreadCount(1);
  connect(&watcher_, &QFutureWatcher<Listing>::finished, this, [this] {
    show(watcher_.result());
    if (pending_) return start_refresh();
    refreshing_ = false;
    Q_EMIT refreshingChanged();
    Q_EMIT refreshed();
  });
}

int AddonCatalog::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant AddonCatalog::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& entry = *rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
    case NameRole: return entry.name;
    case KindRole: return qstring(kind_name(entry.kind));
    case AliasRole: return entry.alias;
    case PathRole: return entry.path;
    case FamilyRole: return qstring(family_name(entry.family));
    case PreviewRole: return entry.preview.isEmpty() ? QUrl() : QUrl::fromLocalFile(entry.preview);
    case VectorsRole: return entry.vectors;
    case ProblemRole: return entry.problem;
    case InsertTextRole: return insert_text(entry);
    case WarningRole: return family_warning(qstring(family_name(entry.family)), model_family_);
    default: return {};
  }
}

QHash<int, QByteArray> AddonCatalog::roleNames() const {
  return {{NameRole, "name"},       {KindRole, "kind"},       {AliasRole, "alias"},
          {PathRole, "path"},       {FamilyRole, "family"},   {PreviewRole, "preview"},
          {VectorsRole, "vectors"}, {ProblemRole, "problem"}, {InsertTextRole, "insertText"},
          {WarningRole, "warning"}};
}

void AddonCatalog::setKind(const QString& kind) { set_filter(kind_, kind); }

void AddonCatalog::setSearch(const QString& search) { set_filter(search_, search); }

void AddonCatalog::set_filter(QString& field, const QString& value) {
  if (field == value) return;
  beginResetModel();
  field = value;
  filter();
  endResetModel();
  Q_EMIT rowsChanged();
}

void AddonCatalog::setModelFamily(const QString& family) {
  if (family == model_family_) return;
  model_family_ = family;
  ++revision_;
  if (!rows_.empty()) Q_EMIT dataChanged(index(0), index(rowCount() - 1), {WarningRole});
  Q_EMIT revisionChanged();
}

QVariantMap AddonCatalog::embeddingVectors() const {
  QVariantMap vectors;
  for (const auto& entry : entries_)
    if (entry.kind == ModelKind::Embedding && entry.vectors > 0 &&
        family_warning(qstring(family_name(entry.family)), model_family_).isEmpty() && !vectors.contains(entry.name))
      vectors[entry.name] = entry.vectors;
  return vectors;
}

void AddonCatalog::refresh(std::shared_ptr<const ModelLibrary> library) {
  pending_ = std::move(library);
  if (refreshing_) return;  // the running refresh starts the next when it ends
  refreshing_ = true;
  Q_EMIT refreshingChanged();
  start_refresh();
}

void AddonCatalog::start_refresh() {
  library_ = std::exchange(pending_, nullptr);
  watcher_.setFuture(QtConcurrent::run(&pool_, [library = library_] {
    Listing listing{library_addons(*library), {}};
    for (const auto& vae : library->entries(ModelKind::Vae)) listing.vaes << qstring(vae.file_name);
    listing.vaes.removeDuplicates();
    return listing;
  }));
}

void AddonCatalog::show(Listing listing) {
  beginResetModel();
  entries_ = std::move(listing.addons);
  vaes_ = std::move(listing.vaes);
  ++revision_;
  filter();
  endResetModel();
  Q_EMIT rowsChanged();
  Q_EMIT revisionChanged();
}

void AddonCatalog::filter() {
  rows_.clear();
  const bool networks = kind_ != QLatin1String("embedding");
  for (const auto& entry : entries_)
    if (is_network(entry.kind) == networks && matches(entry, search_)) rows_.push_back(&entry);
}

QStringList AddonCatalog::promptWarnings(const QString& prompt, const QString& recordedHashes) const {
  QStringList warnings;
  std::vector<NetworkRequest> requests;
  try {
    requests = network_requests(remove_extra_network_tags(prompt.toStdString()).tags);
  } catch (const Error& error) {
    return {QString::fromUtf8(error.what())};
  }
  const auto recorded = parse_name_hashes(recordedHashes.toStdString());
  for (const auto& request : requests) {
    const auto name = qstring(request.name);
    const auto found = library_ ? library_->find(ModelKind::Lora, request.name) : std::nullopt;
    if (!found) {
      const auto hash = std::find_if(recorded.begin(), recorded.end(), [&](const auto& r) { return r.first == request.name; });
      warnings << (hash == recorded.end()
                       ? tr("LoRA “%1” is not in the library: it will not apply").arg(name)
                       : tr("LoRA “%1” is not in the library by that name: the generation looks for its hash %2")
                             .arg(name, qstring(hash->second)));
      continue;
    }
    const auto warning = family_warning(qstring(family_name(found->family)), model_family_);
    if (!warning.isEmpty()) warnings << tr("LoRA “%1” is %2").arg(name, warning);
  }
  warnings.removeDuplicates();
  return warnings;
}

QVariantMap AddonCatalog::get(int row) const { return row_values(*this, row); }

}  // namespace atelier::ui
