// The mask editor's document: strokes become the mask's pixels (white repaints) at the image's
// size, with the brush's falloff; undo, redo, invert, clear and loading a mask image.
#include <QTest>

#include <cmath>

#include "ui/mask_document.h"

using atelier::ui::MaskDocument;

namespace {

int level(const QImage& mask, int x, int y) { return mask.constScanLine(y)[x]; }

// The largest difference of `a` from 255 - `b`, pixel by pixel.
int distance_from_inverse(const QImage& a, const QImage& b) {
  int worst = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) worst = std::max(worst, std::abs(level(a, x, y) - (255 - level(b, x, y))));
  return worst;
}

}  // namespace

class MaskDocumentTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void blankMaskIsBlackAtTheImageSize() {
    MaskDocument mask;
    mask.reset({48, 32});
    QVERIFY(mask.blank());
    const QImage pixels = mask.rasterize();
    QCOMPARE(pixels.size(), QSize(48, 32));
    QCOMPARE(pixels.format(), QImage::Format_Grayscale8);
    QCOMPARE(level(pixels, 24, 16), 0);
  }

  void strokeRepaintsWhereItPasses() {
    MaskDocument mask;
    mask.reset({64, 48});
    mask.begin_stroke(true, 6, 1, {4, 24});
    QVERIFY(mask.extend_stroke({60, 24}) > 0);
    QVERIFY(!mask.blank());
    const QImage pixels = mask.rasterize();
    QCOMPARE(level(pixels, 32, 24), 255);
    QCOMPARE(level(pixels, 10, 20), 255);
    QCOMPARE(level(pixels, 32, 5), 0);
    QCOMPARE(level(pixels, 0, 0), 0);
    QCOMPARE(level(pixels, 63, 47), 0);
  }

  void dabsAreAQuarterOfTheRadiusApart() {
    MaskDocument mask;
    mask.reset({100, 100});
    mask.begin_stroke(true, 8, 1, {10, 50});
    QCOMPARE(mask.extend_stroke({30, 50}), 10);  // every 2 pixels
    QCOMPARE(mask.extend_stroke({31, 50}), 0);   // less than a spacing: waits for the next move
    QCOMPARE(mask.state().strokes.last().dabs.last(), QPointF(30, 50));
  }

  // Full strength out to radius × hardness, fading linearly to nothing at the radius.
  void softBrushFadesOutPastItsHardness() {
    MaskDocument mask;
    mask.reset({101, 101});
    mask.begin_stroke(true, 40, 0.5, {50.5, 50.5});
    const QImage pixels = mask.rasterize();
    QCOMPARE(level(pixels, 50, 50), 255);
    QVERIFY(level(pixels, 50 + 18, 50) >= 250);                 // inside the hard core (20 px)
    QVERIFY(std::abs(level(pixels, 50 + 30, 50) - 128) <= 12);  // halfway through the falloff
    QVERIFY(level(pixels, 50 + 39, 50) <= 20);
    QCOMPARE(level(pixels, 50 + 45, 50), 0);
  }

  void eraseTakesPaintAway() {
    MaskDocument mask;
    mask.reset({64, 64});
    mask.begin_stroke(true, 20, 1, {32, 32});
    mask.begin_stroke(false, 6, 1, {32, 32});
    const QImage pixels = mask.rasterize();
    QCOMPARE(level(pixels, 32, 32), 0);
    QCOMPARE(level(pixels, 32, 45), 255);
    QVERIFY(!mask.blank());
  }

  void undoAndRedoRestoreEachStroke() {
    MaskDocument mask;
    mask.reset({64, 64});
    QVERIFY(!mask.can_undo());
    mask.begin_stroke(true, 8, 1, {16, 16});
    const QImage one = mask.rasterize();
    mask.begin_stroke(true, 8, 1, {48, 48});
    const QImage two = mask.rasterize();
    mask.undo();
    QCOMPARE(mask.rasterize(), one);
    QVERIFY(mask.can_redo());
    mask.redo();
    QCOMPARE(mask.rasterize(), two);
    mask.undo();
    mask.undo();
    QVERIFY(mask.blank());
    mask.redo();
    mask.begin_stroke(false, 8, 1, {16, 16});  // a new edit drops the redo
    QVERIFY(!mask.can_redo());
    QCOMPARE(level(mask.rasterize(), 48, 48), 0);
  }

  void invertFlipsEveryPixel() {
    MaskDocument mask;
    mask.reset({64, 48});
    mask.begin_stroke(true, 10, 0.3f, {20, 20});
    mask.extend_stroke({50, 30});
    mask.begin_stroke(false, 4, 0.8f, {30, 24});
    const QImage before = mask.rasterize();
    mask.invert();
    const QImage inverted = mask.rasterize();
    QVERIFY(distance_from_inverse(inverted, before) <= 1);  // 8-bit rounding of the blends
    QCOMPARE(level(inverted, 0, 0), 255);
    mask.invert();
    QVERIFY(distance_from_inverse(mask.rasterize(), inverted) <= 1);
    mask.undo();
    QCOMPARE(mask.rasterize(), inverted);
  }

  void clearIsAnEditToo() {
    MaskDocument mask;
    mask.reset({32, 32});
    mask.begin_stroke(true, 8, 1, {16, 16});
    mask.clear();
    QVERIFY(mask.blank());
    mask.undo();
    QCOMPARE(level(mask.rasterize(), 16, 16), 255);
  }

  void loadedMaskIsFittedToTheImage() {
    QImage file(20, 10, QImage::Format_RGB32);
    file.fill(Qt::black);
    for (int y = 0; y < 10; ++y)
      for (int x = 10; x < 20; ++x) file.setPixel(x, y, qRgb(255, 255, 255));  // the right half repaints
    MaskDocument mask;
    mask.reset({80, 40});
    mask.load(file);
    QVERIFY(!mask.blank());
    const QImage pixels = mask.rasterize();
    QCOMPARE(pixels.size(), QSize(80, 40));
    QCOMPARE(level(pixels, 10, 20), 0);
    QCOMPARE(level(pixels, 70, 20), 255);
    mask.begin_stroke(false, 6, 1, {70, 20});
    QCOMPARE(level(mask.rasterize(), 70, 20), 0);
  }

  void historyIsBounded() {
    MaskDocument mask;
    mask.reset({16, 16});
    for (std::size_t i = 0; i < MaskDocument::kHistoryLimit + 20; ++i) mask.begin_stroke(true, 1, 1, {1, 1});
    int undone = 0;
    while (mask.can_undo()) {
      mask.undo();
      ++undone;
    }
    QCOMPARE(undone, static_cast<int>(MaskDocument::kHistoryLimit));
  }
};

QTEST_GUILESS_MAIN(MaskDocumentTest)

#include "test_mask_document.moc"
