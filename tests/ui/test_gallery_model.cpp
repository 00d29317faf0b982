// GalleryModel over a real output folder of 200 tiny PNGs: the index is opened and scanned
// off the UI thread, then counted, paged, searched, filtered, sorted, favourited, trashed and
// restored, with the filters' choices (facets) following the folder.
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "tests/ui/gallery_fixture.h"
#include "ui/gallery_model.h"

using atelier::ui::GalleryModel;

namespace {

constexpr int kImages = 200;

QString role(const GalleryModel& model, int row, const char* name) {
  return model.entry(row).value(QLatin1String(name)).toString();
}

int width(const GalleryModel& model, int row) { return model.entry(row).value(QStringLiteral("imageWidth")).toInt(); }

// A facet list ({value, count} maps) as "value:count" strings, for comparisons.
QStringList facet(const GalleryModel& model, const char* name) {
  QStringList values;
  for (const auto& item : model.facets().value(QLatin1String(name)).toList()) {
    const auto map = item.toMap();
    values << map.value(QStringLiteral("value")).toString() + QLatin1Char(':') +
                  map.value(QStringLiteral("count")).toString();
  }
  return values;
}

}  // namespace

class GalleryModelTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() {
    folder_ = std::make_unique<QTemporaryDir>();
    QVERIFY(folder_->isValid());
    gallery_fixture::write_images(folder_->path().toStdString(), kImages, true);
    model_ = std::make_unique<GalleryModel>();
    model_->setFolder(folder_->path());
    QTRY_COMPARE_WITH_TIMEOUT(model_->rowCount(), kImages, 30'000);
    QTRY_VERIFY(!model_->scanning());
  }
  void cleanup() {
    model_.reset();
    folder_.reset();
  }

  void pagesNewestFirst() {
    QCOMPARE(role(*model_, 0, "prompt"), QString::fromStdString(gallery_fixture::prompt(kImages - 1)));
    // Rows beyond the first page come from later pages.
    for (int row : {GalleryModel::kPageSize - 1, GalleryModel::kPageSize, kImages - 1})
      QCOMPARE(role(*model_, row, "prompt"), QString::fromStdString(gallery_fixture::prompt(kImages - 1 - row)));
    QCOMPARE(role(*model_, 0, "fileName"), QStringLiteral("100199.png"));
    QCOMPARE(model_->entry(0).value(QStringLiteral("imageWidth")).toInt(), 8);
    QVERIFY(model_->entry(kImages).isEmpty());
    const auto recalled = model_->parameters(kImages - 1);  // image 0
    QCOMPARE(recalled.value(QStringLiteral("prompt")).toString(), QStringLiteral("a red fox, number 0"));
    QCOMPARE(recalled.value(QStringLiteral("seed")).toLongLong(), 1000);
    QCOMPARE(recalled.value(QStringLiteral("modelName")).toString(), QStringLiteral("tinyA"));
  }

  void searchesAndFilters() {
    model_->setSearch(QStringLiteral("whale"));
    QCOMPARE(model_->rowCount(), kImages / 2);
    QVERIFY(role(*model_, 0, "prompt").contains(QStringLiteral("whale")));
    model_->setSearch(QStringLiteral("number 42"));
    QCOMPARE(model_->rowCount(), 1);
    model_->setSearch({});
    model_->setSamplerFilter(QStringLiteral("Euler"));
    QCOMPARE(model_->rowCount(), kImages / 4);
    model_->setModelFilter(QStringLiteral("tinyB"));
    QCOMPARE(model_->rowCount(), kImages / 8);
    model_->setSamplerFilter({});
    model_->setModelFilter({});
    model_->setWithinDays(1);
    QCOMPARE(model_->rowCount(), kImages);
  }

  void filtersBySize() {
    model_->setSizeFilter(QStringLiteral("16x8"));
    QCOMPARE(model_->rowCount(), kImages / 5);
    for (int row = 0; row < model_->rowCount(); ++row) QCOMPARE(width(*model_, row), 16);
    model_->setSizeFilter(QStringLiteral("8x8"));
    QCOMPARE(model_->rowCount(), kImages - kImages / 5);
    model_->setSizeFilter(QStringLiteral("eight by eight"));  // not a size: ignored
    QCOMPARE(model_->sizeFilter(), QStringLiteral("8x8"));
    model_->setSizeFilter({});
    QCOMPARE(model_->rowCount(), kImages);
  }

  void sorts() {
    QSignalSpy changed(model_.get(), &GalleryModel::queryChanged);
    model_->setSortOrder(GalleryModel::OldestFirst);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model_->rowCount(), kImages);
    QCOMPARE(role(*model_, 0, "prompt"), QString::fromStdString(gallery_fixture::prompt(0)));
    QCOMPARE(role(*model_, GalleryModel::kPageSize, "prompt"),
             QString::fromStdString(gallery_fixture::prompt(GalleryModel::kPageSize)));

    model_->setSortOrder(GalleryModel::FileName);
    QCOMPARE(role(*model_, 0, "fileName"), QStringLiteral("100000.png"));
    QCOMPARE(role(*model_, kImages - 1, "fileName"), QStringLiteral("100199.png"));

    model_->setSortOrder(GalleryModel::LargestFirst);
    for (int row = 0; row < kImages / 5; ++row) QCOMPARE(width(*model_, row), 16);
    QCOMPARE(width(*model_, kImages / 5), 8);
    // Equal sizes by id, highest first; with a filter the order still holds.
    model_->setModelFilter(QStringLiteral("tinyA"));
    for (int row = 1; row < kImages / 10; ++row) {
      QCOMPARE(width(*model_, row), 16);
      QVERIFY(role(*model_, row - 1, "imageId").toLongLong() > role(*model_, row, "imageId").toLongLong());
    }
    QCOMPARE(width(*model_, kImages / 10), 8);
  }

  void facetsFollowTheFolder() {
    QCOMPARE(facet(*model_, "models"), (QStringList{"tinyA:100", "tinyB:100"}));
    QCOMPARE(facet(*model_, "samplers"), (QStringList{"DPM++ 2M:150", "Euler:50"}));
    QCOMPARE(facet(*model_, "sizes"), (QStringList{"8x8:160", "16x8:40"}));
    model_->setModelFilter(QStringLiteral("tinyB"));  // a query does not narrow the facets
    QCOMPARE(facet(*model_, "models"), (QStringList{"tinyA:100", "tinyB:100"}));

    // Trashing, undoing and scanning change them (the model's cached copy, so QTRY waits for it).
    QSignalSpy facets_changed(model_.get(), &GalleryModel::facetsChanged);
    model_->setSizeFilter(QStringLiteral("16x8"));
    model_->moveToTrash(model_->entry(0).value(QStringLiteral("imageId")).toLongLong());
    QTRY_COMPARE(facet(*model_, "sizes"), (QStringList{"8x8:160", "16x8:39"}));
    QCOMPARE(facet(*model_, "models"), (QStringList{"tinyA:100", "tinyB:99"}));
    QCOMPARE(facets_changed.size(), 1);
    model_->undoTrash();
    QTRY_COMPARE(facet(*model_, "sizes"), (QStringList{"8x8:160", "16x8:40"}));
    QCOMPARE(facets_changed.size(), 2);

    const std::filesystem::path root = folder_->path().toStdString();
    gallery_fixture::write_images(root / "more", 2, true);  // a 16x8 tinyA and an 8x8 tinyB
    model_->rescan();
    QTRY_COMPARE(facet(*model_, "sizes"), (QStringList{"8x8:161", "16x8:41"}));
    QCOMPARE(facets_changed.size(), 3);
  }

  void favourites() {
    const auto id = model_->entry(3).value(QStringLiteral("imageId")).toLongLong();
    model_->setFavourite(id, true);
    QVERIFY(model_->entry(3).value(QStringLiteral("favourite")).toBool());  // shown before it is written
    model_->setFavouritesOnly(true);
    QTRY_COMPARE(model_->rowCount(), 1);  // counted once the writer thread has stored it
    QCOMPARE(model_->entry(0).value(QStringLiteral("imageId")).toLongLong(), id);
    model_->setFavourite(id, false);
    QTRY_COMPARE(model_->rowCount(), 0);
  }

  void trashAndUndo() {
    QSignalSpy trashed(model_.get(), &GalleryModel::trashed);
    const auto path = role(*model_, 0, "path");
    model_->moveToTrash(model_->entry(0).value(QStringLiteral("imageId")).toLongLong());
    QTRY_COMPARE_WITH_TIMEOUT(trashed.size(), 1, 10'000);  // may come before a wait() would start
    QCOMPARE(trashed.front().front().toString(), QStringLiteral("100199.png"));
    QCOMPARE(model_->rowCount(), kImages - 1);
    QVERIFY(!QFile::exists(path));
    QVERIFY(model_->canUndoTrash());

    model_->undoTrash();
    QVERIFY(!model_->canUndoTrash());
    QTRY_COMPARE(model_->rowCount(), kImages);
    QVERIFY(QFile::exists(path));
    QCOMPARE(role(*model_, 0, "path"), path);
  }

  void rescanFindsNewFiles() {
    const std::filesystem::path root = folder_->path().toStdString();
    gallery_fixture::write_images(root / "more", 3, true);  // images "made" an hour ago
    model_->rescan();
    QTRY_COMPARE(model_->rowCount(), kImages + 3);
  }

 private:
  std::unique_ptr<QTemporaryDir> folder_;
  std::unique_ptr<GalleryModel> model_;
};

int main(int argc, char* argv[]) {
  QGuiApplication app(argc, argv);
  GalleryModelTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_gallery_model.moc"
