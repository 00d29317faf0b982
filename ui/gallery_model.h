#pragma once
// The gallery grid's model over the SQLite index of the output folder (core/gallery/index.h),
// with search, filters whose choices come from the index (facets), and a sort order. Rows are
// read a page at a time when a view asks for them, so ten thousand images cost a few pages.
// Everything that writes the index (the scan, favourites, the trash) runs in order on one pool
// thread with its own connection; the UI thread only reads, which SQLite's WAL mode never blocks.
#include <QAbstractListModel>
#include <QThreadPool>
#include <QtQml/qqmlregistration.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/gallery/index.h"

namespace atelier::ui {

class GalleryModel : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the gallery")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(QString folder READ folder NOTIFY folderChanged)
  Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY queryChanged)
  Q_PROPERTY(QString modelFilter READ modelFilter WRITE setModelFilter NOTIFY queryChanged)
  Q_PROPERTY(QString samplerFilter READ samplerFilter WRITE setSamplerFilter NOTIFY queryChanged)
  Q_PROPERTY(bool favouritesOnly READ favouritesOnly WRITE setFavouritesOnly NOTIFY queryChanged)
  Q_PROPERTY(int withinDays READ withinDays WRITE setWithinDays NOTIFY queryChanged)
  Q_PROPERTY(QString sizeFilter READ sizeFilter WRITE setSizeFilter NOTIFY queryChanged)
  Q_PROPERTY(SortOrder sortOrder READ sortOrder WRITE setSortOrder NOTIFY queryChanged)
  // {models, samplers, sizes}: lists of {value, count} over the whole folder, most common first.
  Q_PROPERTY(QVariantMap facets READ facets NOTIFY facetsChanged)
  Q_PROPERTY(bool scanning READ scanning NOTIFY scanningChanged)
  Q_PROPERTY(bool canUndoTrash READ canUndoTrash NOTIFY trashChanged)

 public:
  enum Role {
    IdRole = Qt::UserRole + 1, PathRole, UrlRole, FileNameRole, PromptRole, SeedRole, ModelRole, SamplerRole,
    WidthRole, HeightRole, FavouriteRole
  };
  static constexpr int kPageSize = 100;
  // GallerySort, for QML.
  enum SortOrder { NewestFirst, OldestFirst, FileName, LargestFirst };
  Q_ENUM(SortOrder)

  explicit GalleryModel(QObject* parent = nullptr);
  ~GalleryModel() override;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  QString folder() const { return folder_; }
  void setFolder(const QString& folder);  // opens its index off the UI thread, then rescans
  QString search() const { return search_; }
  void setSearch(const QString& text);
  QString modelFilter() const { return model_filter_; }
  void setModelFilter(const QString& model);  // "" for any
  QString samplerFilter() const { return sampler_filter_; }
  void setSamplerFilter(const QString& sampler);  // "" for any
  bool favouritesOnly() const { return favourites_only_; }
  void setFavouritesOnly(bool only);
  int withinDays() const { return within_days_; }
  void setWithinDays(int days);  // 0 for any time
  QString sizeFilter() const { return size_filter_; }
  void setSizeFilter(const QString& size);  // "WIDTHxHEIGHT" as in facets, or "" for any
  SortOrder sortOrder() const { return sort_order_; }
  void setSortOrder(SortOrder order);
  QVariantMap facets() const;
  bool scanning() const { return scanning_; }
  bool canUndoTrash() const { return last_trashed_.has_value(); }

  // Brings the index up to date with the folder (new images, other tools' files, removals).
  Q_INVOKABLE void rescan();
  // A row's roles by name, for views that show one entry.
  Q_INVOKABLE QVariantMap entry(int row) const;
  // The generation parameters of a row's file (params_map.h keys, the model as modelName).
  QVariantMap parameters(int row) const;
  // By the imageId role, which stays with the image when rows move.
  Q_INVOKABLE void setFavourite(qint64 id, bool favourite);
  // Moves the file to the folder's trash; undoTrash() brings the last one back.
  Q_INVOKABLE void moveToTrash(qint64 id);
  Q_INVOKABLE void undoTrash();

 Q_SIGNALS:
  void countChanged();
  void folderChanged();
  void queryChanged();
  void facetsChanged();
  void scanningChanged();
  void trashChanged();
  void trashed(const QString& fileName);
  void errorOccurred(const QString& message);

 private:
  struct Database;  // the folder's paths and the writer's connection, shared with its tasks

  // Runs `change` on the writer thread, then `done` with its result here, unless the folder
  // changed meanwhile; a failure becomes errorOccurred.
  template <typename Result>
  void write(std::function<Result(GalleryIndex&)> change, std::function<void(Result)> done);
  GalleryQuery query() const;
  const IndexedImage* image(int row) const;  // from the page cache; null when unreadable
  void set_query(const std::function<void()>& change);
  void reload();   // the rows anew, from the top (a new query)
  void refresh();  // the rows again in place, keeping the view's position (the folder changed)
  void update_facets();
  void report(const std::exception& error);

  QString folder_;
  QString search_, model_filter_, sampler_filter_;
  bool favourites_only_ = false;
  int within_days_ = 0;
  QString size_filter_;
  SortOrder sort_order_ = NewestFirst;
  GalleryFacets facets_;

  QThreadPool writer_;  // one thread: changes reach the index in the order they were asked
  std::shared_ptr<Database> database_;
  std::shared_ptr<GalleryIndex> reader_;  // the UI thread's connection, null while opening
  int count_ = 0;
  mutable std::unordered_map<int, std::vector<IndexedImage>> pages_;  // by page number, filled by data()
  bool scanning_ = false;
  bool scan_again_ = false;  // asked while scanning: that scan may have missed the newest files
  std::optional<TrashedImage> last_trashed_;
};

}  // namespace atelier::ui
