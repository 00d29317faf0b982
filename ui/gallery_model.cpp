#include "ui/gallery_model.h"

#include <QUrl>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <tuple>
#include <variant>

#include "ui/image_details.h"
#include "ui/qt_text.h"

namespace atelier::ui {
namespace {

constexpr std::size_t kCachedPages = 32;  // about 3,000 rows around what the view shows

// "512x768" (as the index's size facet writes it) as width and height.
std::optional<std::pair<int, int>> parse_size(const QString& size) {
  const auto sides = size.split(QLatin1Char('x'));
  bool width_ok = false, height_ok = false;
  const int width = sides.size() == 2 ? sides[0].toInt(&width_ok) : 0;
  const int height = sides.size() == 2 ? sides[1].toInt(&height_ok) : 0;
  if (!width_ok || !height_ok) return std::nullopt;
  return std::pair{width, height};
}

GallerySort gallery_sort(GalleryModel::SortOrder order) {
  switch (order) {
    case GalleryModel::NewestFirst: return GallerySort::newest_first;
    case GalleryModel::OldestFirst: return GallerySort::oldest_first;
    case GalleryModel::FileName: return GallerySort::file_name;
    case GalleryModel::LargestFirst: return GallerySort::largest_first;
  }
  return GallerySort::newest_first;
}

QVariantList facet_list(const std::vector<FacetValue>& values) {
  QVariantList list;
  for (const auto& [value, count] : values)
    list.append(QVariantMap{{QStringLiteral("value"), QString::fromStdString(value)},
                            {QStringLiteral("count"), static_cast<qint64>(count)}});
  return list;
}

}  // namespace

struct GalleryModel::Database {
  std::filesystem::path root;
  std::filesystem::path file;
  std::unique_ptr<GalleryIndex> writer;  // opened and used on the writer thread only

  GalleryIndex& index() {
    if (!writer) writer = std::make_unique<GalleryIndex>(root, file);
    return *writer;
  }
};

GalleryModel::GalleryModel(QObject* parent) : QAbstractListModel(parent) { writer_.setMaxThreadCount(1); }

// The writer's tasks hold the database; waiting for them here closes it before the model goes.
GalleryModel::~GalleryModel() { writer_.waitForDone(); }

template <typename Result>
void GalleryModel::write(std::function<Result(GalleryIndex&)> change, std::function<void(Result)> done) {
  struct Failure {
    QString message;
  };
  using Outcome = std::variant<Result, Failure>;
  QtConcurrent::run(&writer_,
                    [database = database_, change]() -> Outcome {
                      try {
                        return change(database->index());
                      } catch (const std::exception& error) {
                        return Failure{QString::fromUtf8(error.what())};
                      }
                    })
      .then(this, [this, database = database_, done](const Outcome& outcome) {
        if (database != database_) return;  // about a folder no longer shown
        if (const auto* failure = std::get_if<Failure>(&outcome))
          Q_EMIT errorOccurred(failure->message);
        else
          done(std::get<Result>(outcome));
      });
}

int GalleryModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count_; }

const IndexedImage* GalleryModel::image(int row) const {
  if (row < 0 || row >= count_ || !reader_) return nullptr;
  const int page = row / kPageSize;
  auto found = pages_.find(page);
  if (found == pages_.end()) {
    if (pages_.size() >= kCachedPages) pages_.clear();
    auto q = query();
    q.offset = page * kPageSize;
    q.limit = kPageSize;
    try {
      found = pages_.emplace(page, reader_->query(q)).first;
    } catch (const std::exception& error) {
      qWarning("gallery: %s", error.what());  // data() is const: the view shows an empty cell
      return nullptr;
    }
  }
  const auto at = static_cast<std::size_t>(row % kPageSize);
  return at < found->second.size() ? &found->second[at] : nullptr;
}

QVariant GalleryModel::data(const QModelIndex& index, int role) const {
  const auto* row = image(index.row());
  if (!index.isValid() || !row) return {};
  switch (role) {
    case IdRole: return static_cast<qint64>(row->id);
    case PathRole: return path_qstring(row->path);
    case UrlRole: return QUrl::fromLocalFile(path_qstring(row->path));
    case Qt::DisplayRole:
    case FileNameRole: return path_qstring(row->path.filename());
    case PromptRole: return QString::fromStdString(row->prompt);
    case SeedRole: return static_cast<qint64>(row->seed);
    case ModelRole: return QString::fromStdString(row->model);
    case SamplerRole: return QString::fromStdString(row->sampler);
    case WidthRole: return row->width;
    case HeightRole: return row->height;
    case FavouriteRole: return row->favourite;
    default: return {};
  }
}

QHash<int, QByteArray> GalleryModel::roleNames() const {
  return {{IdRole, "imageId"},      {PathRole, "path"},       {UrlRole, "url"},          {FileNameRole, "fileName"},
          {PromptRole, "prompt"},   {SeedRole, "seed"},       {ModelRole, "model"},      {SamplerRole, "sampler"},
          {WidthRole, "imageWidth"}, {HeightRole, "imageHeight"}, {FavouriteRole, "favourite"}};
}

void GalleryModel::setFolder(const QString& folder) {
  if (folder == folder_) return;
  folder_ = folder;
  Q_EMIT folderChanged();
  const std::filesystem::path root = folder.toStdString();
  database_ = std::make_shared<Database>(Database{root, GalleryIndex::default_database(root), nullptr});
  reader_.reset();
  scanning_ = scan_again_ = false;  // a scan of the previous folder may still run: it is ignored
  last_trashed_.reset();
  Q_EMIT trashChanged();
  reload();
  update_facets();
  // The writer opens first, as opening may replace a damaged database; then the reader, there
  // too, because opening checks the whole file.
  write<std::shared_ptr<GalleryIndex>>(
      [database = database_](GalleryIndex&) { return std::make_shared<GalleryIndex>(database->root, database->file); },
      [this](std::shared_ptr<GalleryIndex> reader) {
        reader_ = std::move(reader);
        reload();
        update_facets();
        rescan();
      });
}

void GalleryModel::setSearch(const QString& text) {
  if (text != search_) set_query([&] { search_ = text; });
}

void GalleryModel::setModelFilter(const QString& model) {
  if (model != model_filter_) set_query([&] { model_filter_ = model; });
}

void GalleryModel::setSamplerFilter(const QString& sampler) {
  if (sampler != sampler_filter_) set_query([&] { sampler_filter_ = sampler; });
}

void GalleryModel::setFavouritesOnly(bool only) {
  if (only != favourites_only_) set_query([&] { favourites_only_ = only; });
}

void GalleryModel::setWithinDays(int days) {
  if (days != within_days_) set_query([&] { within_days_ = days; });
}

void GalleryModel::setSizeFilter(const QString& size) {
  if (size == size_filter_) return;
  if (!size.isEmpty() && !parse_size(size)) {
    qWarning("gallery: a size filter is WIDTHxHEIGHT, not %s", qPrintable(size));
    return;
  }
  set_query([&] { size_filter_ = size; });
}

void GalleryModel::setSortOrder(SortOrder order) {
  if (order != sort_order_) set_query([&] { sort_order_ = order; });
}

QVariantMap GalleryModel::facets() const {
  return {{QStringLiteral("models"), facet_list(facets_.models)},
          {QStringLiteral("samplers"), facet_list(facets_.samplers)},
          {QStringLiteral("sizes"), facet_list(facets_.sizes)}};
}

void GalleryModel::set_query(const std::function<void()>& change) {
  change();
  Q_EMIT queryChanged();
  reload();
}

GalleryQuery GalleryModel::query() const {
  GalleryQuery q;
  q.text = search_.toStdString();
  if (!model_filter_.isEmpty()) q.model = model_filter_.toStdString();
  if (!sampler_filter_.isEmpty()) q.sampler = sampler_filter_.toStdString();
  if (const auto size = parse_size(size_filter_)) std::tie(q.width, q.height) = *size;
  q.favourites_only = favourites_only_;
  q.sort = gallery_sort(sort_order_);
  if (within_days_ > 0) {
    const auto since = std::chrono::system_clock::now() - std::chrono::hours(24 * within_days_);
    q.from_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count();
  }
  return q;
}

void GalleryModel::rescan() {
  if (!reader_) return;  // still opening, which scans next
  if (scanning_) {
    scan_again_ = true;
    return;
  }
  scanning_ = true;
  Q_EMIT scanningChanged();
  write<ScanReport>([](GalleryIndex& index) { return index.scan(); },
                    [this](const ScanReport&) {
                      refresh();
                      scanning_ = false;
                      Q_EMIT scanningChanged();
                      if (std::exchange(scan_again_, false)) rescan();
                    });
}

QVariantMap GalleryModel::entry(int row) const {
  QVariantMap map;
  if (!image(row)) return map;
  const auto roles = roleNames();
  for (auto it = roles.begin(); it != roles.end(); ++it) map[QString::fromLatin1(it.value())] = data(index(row), it.key());
  return map;
}

QVariantMap GalleryModel::parameters(int row) const {
  const auto* row_image = image(row);
  if (!row_image) return {};
  return read_image_details(path_qstring(row_image->path)).value(QStringLiteral("parameters")).toMap();
}

void GalleryModel::setFavourite(qint64 id, bool favourite) {
  // Shown at once in the cached rows; the index follows on the writer thread.
  for (auto& [page, images] : pages_)
    for (std::size_t at = 0; at < images.size(); ++at)
      if (images[at].id == id && images[at].favourite != favourite) {
        images[at].favourite = favourite;
        const auto row = index(page * kPageSize + static_cast<int>(at));
        Q_EMIT dataChanged(row, row, {FavouriteRole});
      }
  write<bool>(
      [id, favourite](GalleryIndex& index) {
        index.set_favourite(id, favourite);
        return true;
      },
      [this](bool) {
        if (favourites_only_) refresh();
      });
}

void GalleryModel::moveToTrash(qint64 id) {
  write<TrashedImage>([id](GalleryIndex& index) { return index.move_to_trash(id); },
                      [this](const TrashedImage& image) {
                        last_trashed_ = image;
                        Q_EMIT trashChanged();
                        Q_EMIT trashed(path_qstring(image.original.filename()));
                        refresh();
                      });
}

void GalleryModel::undoTrash() {
  if (!last_trashed_) return;
  const auto trashed = *std::exchange(last_trashed_, std::nullopt);
  Q_EMIT trashChanged();
  write<bool>(
      [trashed](GalleryIndex& index) {
        index.restore(trashed);
        return true;
      },
      [this](bool) { refresh(); });
}

void GalleryModel::reload() {
  beginResetModel();
  pages_.clear();
  try {
    count_ = reader_ ? static_cast<int>(reader_->count(query())) : 0;
  } catch (const std::exception& error) {
    count_ = 0;
    report(error);
  }
  endResetModel();
  Q_EMIT countChanged();
}

// In the default order, newest first, what a scan adds lands on top: the rows grow or shrink
// there and the rest are told their data changed, which keeps the view where the user
// scrolled to. In the other orders every row still shows its new data.
void GalleryModel::refresh() {
  int count = 0;
  try {
    count = reader_ ? static_cast<int>(reader_->count(query())) : 0;
  } catch (const std::exception& error) {
    report(error);
  }
  pages_.clear();
  if (count > count_) {
    beginInsertRows({}, 0, count - count_ - 1);
    count_ = count;
    endInsertRows();
  } else if (count < count_) {
    beginRemoveRows({}, count, count_ - 1);
    count_ = count;
    endRemoveRows();
  }
  if (count_ > 0) Q_EMIT dataChanged(index(0), index(count_ - 1));
  Q_EMIT countChanged();
  update_facets();
}

// Whatever changed the folder may have added or removed a model, sampler or size.
void GalleryModel::update_facets() {
  GalleryFacets facets;
  try {
    if (reader_) facets = reader_->facets();
  } catch (const std::exception& error) {
    report(error);
  }
  if (facets == facets_) return;
  facets_ = std::move(facets);
  Q_EMIT facetsChanged();
}

void GalleryModel::report(const std::exception& error) { Q_EMIT errorOccurred(QString::fromUtf8(error.what())); }

}  // namespace atelier::ui
