// A measured check that the gallery stays quick with 10,000 images: the first scan (off the
// UI thread), opening an indexed folder, reading every page as a scroll to the end does, a
// jump to the middle, a search, each sort order's last page, and the filters' facets. Prints
// the figures (figures are not asserted: a loaded machine is slower); checks every answer.
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

#include "tests/ui/gallery_fixture.h"
#include "ui/gallery_model.h"

using atelier::ui::GalleryModel;

namespace {

constexpr int kImages = 10'000;

double milliseconds(const QElapsedTimer& clock) { return clock.nsecsElapsed() / 1e6; }

// Waits for the model to have `count` rows, scanning done; returns how long it took.
double wait_for(const GalleryModel& model, int count) {
  QElapsedTimer clock;
  clock.start();
  while ((model.rowCount() != count || model.scanning()) && clock.elapsed() < 60'000) QTest::qWait(1);
  return milliseconds(clock);
}

}  // namespace

class GalleryScaleTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void tenThousandImages() {
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QElapsedTimer clock;
    clock.start();
    gallery_fixture::write_images(folder.path().toStdString(), kImages, false);
    qInfo("wrote %d PNGs in %.0f ms", kImages, milliseconds(clock));

    {
      GalleryModel first;
      first.setFolder(folder.path());
      const double scan = wait_for(first, kImages);
      QCOMPARE(first.rowCount(), kImages);
      qInfo("first open and scan: %.0f ms (UI thread free meanwhile)", scan);
    }

    GalleryModel model;
    clock.restart();
    model.setFolder(folder.path());
    while (model.rowCount() != kImages && clock.elapsed() < 10'000) QTest::qWait(1);
    const double open = milliseconds(clock);
    QCOMPARE(model.rowCount(), kImages);
    qInfo("opening the indexed folder: rows shown after %.1f ms", open);
    qInfo("unchanged rescan: %.0f ms more", wait_for(model, kImages));

    // A scroll to the end: every row read in order, as the view's delegates do.
    double slowest_page = 0;
    clock.restart();
    for (int row = 0; row < kImages; ++row) {
      QElapsedTimer one;
      one.start();
      QVERIFY(!model.data(model.index(row), GalleryModel::PathRole).toString().isEmpty());
      slowest_page = std::max(slowest_page, milliseconds(one));
    }
    const double scroll = milliseconds(clock);
    qInfo("all %d rows (%d pages): %.1f ms; slowest row (a page load) %.2f ms", kImages,
          kImages / GalleryModel::kPageSize, scroll, slowest_page);

    clock.restart();
    QVERIFY(!model.entry(kImages / 2).isEmpty());
    qInfo("jump to row %d: %.2f ms", kImages / 2, milliseconds(clock));

    clock.restart();
    model.setSearch(QStringLiteral("whale"));
    QVERIFY(!model.entry(0).isEmpty());
    qInfo("search 'whale' (%d matches) and its first page: %.2f ms", model.rowCount(), milliseconds(clock));
    QCOMPARE(model.rowCount(), kImages / 2);
    model.setSearch({});

    // The last page is the deepest OFFSET: with the sort's index it is a walk, not a sort.
    double slowest_sort = 0;
    for (auto order : {GalleryModel::OldestFirst, GalleryModel::FileName, GalleryModel::LargestFirst}) {
      clock.restart();
      model.setSortOrder(order);
      QVERIFY(!model.entry(kImages - 1).isEmpty());
      slowest_sort = std::max(slowest_sort, milliseconds(clock));
    }
    qInfo("each other sort order and its last page: %.2f ms at most", slowest_sort);

    const std::filesystem::path root = folder.path().toStdString();
    const atelier::GalleryIndex index(root, atelier::GalleryIndex::default_database(root));
    clock.restart();
    const auto facets = index.facets();
    const double facets_time = milliseconds(clock);
    qInfo("facets (%zu models, %zu samplers, %zu sizes): %.2f ms", facets.models.size(), facets.samplers.size(),
          facets.sizes.size(), facets_time);
    QCOMPARE(facets.sizes.size(), std::size_t{2});

  }
};

int main(int argc, char* argv[]) {
  QGuiApplication app(argc, argv);
  GalleryScaleTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_gallery_scale.moc"
