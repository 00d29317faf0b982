// Starts the real `atelier` window offscreen, lets it generate one image with the tiny
// model, and checks the window grab it saves shows something (not one flat colour).
#include <QDate>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

class StudioSmokeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void generatesAndShowsTheImage() {
    QTemporaryDir output;
    const QString grab = QStringLiteral(ATELIER_UI_TEST_BINARY_DIR "/studio-grab.png");
    QFile::remove(grab);

    QProcess studio;
    studio.setProcessChannelMode(QProcess::ForwardedChannels);
    studio.start(QStringLiteral(ATELIER_STUDIO_EXE),
                 {QStringLiteral("--model"), QStringLiteral(ATELIER_TINY_MODEL), QStringLiteral("--output-dir"), output.path(),
                  QStringLiteral("--prompt"), QStringLiteral("a lighthouse at dusk, (warm light:1.2)"),
                  QStringLiteral("--steps"), QStringLiteral("3"), QStringLiteral("--width"), QStringLiteral("64"),
                  QStringLiteral("--height"), QStringLiteral("64"), QStringLiteral("--seed"), QStringLiteral("7"),
                  QStringLiteral("--generate-and-grab"), grab});
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
    const QImage image(grab);
    QVERIFY2(!image.isNull(), qPrintable(grab));
    QVERIFY(image.width() >= 800 && image.height() >= 600);
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4)
      for (int x = 0; x < image.width(); x += 4) colours.insert(image.pixel(x, y));
    qInfo("grab %dx%d with %lld distinct colours (sampled): %s", image.width(), image.height(),
          static_cast<long long>(colours.size()), qPrintable(grab));
    QVERIFY2(colours.size() > 50, "the grab is blank");
  }
};

QTEST_GUILESS_MAIN(StudioSmokeTest)

#include "test_studio_smoke.moc"
