// GalleryModel over a real output folder of 200 tiny PNGs: the index is opened and scanned
// off the UI thread, then counted, paged, searched, filtered, favourited, trashed and restored.
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
    QVERIFY(trashed.wait(10'000));
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
