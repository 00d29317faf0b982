// Starts the real `atelier` window offscreen, lets it generate one image with the tiny
// model and open it in the Gallery tab, and checks the two window grabs it saves show
// something (not one flat colour), the gallery's first thumbnail included.
#include <QDate>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

namespace {

// Distinct colours of every fourth pixel in `area` of `image`.
qsizetype colours_in(const QImage& image, const QRect& area) {
  QSet<QRgb> colours;
  for (int y = area.top(); y <= area.bottom(); y += 4)
    for (int x = area.left(); x <= area.right(); x += 4) colours.insert(image.pixel(x, y));
  return colours.size();
}

// A window grab: the window's size, and not blank. Failures end the calling test once it
// checks QTest::currentTestFailed().
void check_grab(const QString& file) {
  const QImage image(file);
  QVERIFY2(!image.isNull(), qPrintable(file));
  QVERIFY(image.width() >= 800 && image.height() >= 600);
  const auto colours = colours_in(image, image.rect());
  qInfo("grab %dx%d with %lld distinct colours (sampled): %s", image.width(), image.height(),
        static_cast<long long>(colours), qPrintable(file));
  QVERIFY2(colours > 50, "the grab is blank");
}

}  // namespace

class StudioSmokeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void generatesAndShowsTheImage() {
    QTemporaryDir output;
    const QString grab = QStringLiteral(ATELIER_UI_TEST_BINARY_DIR "/studio-grab.png");
    const QString gallery_grab = QStringLiteral(ATELIER_UI_TEST_BINARY_DIR "/studio-gallery-grab.png");
    QFile::remove(grab);
    QFile::remove(gallery_grab);

    QProcess studio;
    studio.setProcessChannelMode(QProcess::ForwardedChannels);
    studio.start(QStringLiteral(ATELIER_STUDIO_EXE),
                 {QStringLiteral("--model"), QStringLiteral(ATELIER_TINY_MODEL), QStringLiteral("--output-dir"), output.path(),
                  QStringLiteral("--prompt"), QStringLiteral("a lighthouse at dusk, (warm light:1.2)"),
                  QStringLiteral("--steps"), QStringLiteral("3"), QStringLiteral("--width"), QStringLiteral("64"),
                  QStringLiteral("--height"), QStringLiteral("64"), QStringLiteral("--seed"), QStringLiteral("7"),
                  QStringLiteral("--generate-and-grab"), grab, QStringLiteral("--grab-gallery"), gallery_grab});
    QVERIFY(studio.waitForStarted());
    QVERIFY2(studio.waitForFinished(300'000), "atelier did not finish");
    QCOMPARE(studio.exitStatus(), QProcess::NormalExit);
    QCOMPARE(studio.exitCode(), 0);

    // One image, in the day's folder.
    QDirIterator images(output.path(), {QStringLiteral("*.png")}, QDir::Files, QDirIterator::Subdirectories);
    QStringList written;
    while (images.hasNext()) written << images.next();
    QCOMPARE(written.size(), 1);
    QCOMPARE(QFileInfo(written.front()).dir().dirName(), QDate::currentDate().toString(Qt::ISODate));
    check_grab(grab);
    check_grab(gallery_grab);
    if (QTest::currentTestFailed()) return;

    // The Gallery tab's layout in the 1360x860 window: 180-pixel cells from the top left,
    // under the search and filter rows; the viewer on the right.
    const QImage gallery(gallery_grab);
    const QRect first_cell(20, 200, 140, 120), second_cell(200, 200, 140, 120), viewer(900, 100, 400, 400);
    QVERIFY2(colours_in(gallery, first_cell) > 50, "no thumbnail in the grid's first cell");
    QVERIFY2(colours_in(gallery, second_cell) <= 2, "the grid shows more than the one image");
    QVERIFY2(colours_in(gallery, viewer) > 50, "the viewer does not show the image");
  }
};

QTEST_GUILESS_MAIN(StudioSmokeTest)

#include "test_studio_smoke.moc"
