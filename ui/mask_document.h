#pragma once
// What the mask editor paints, kept as brush strokes rather than pixels: the canvas draws them
// on the GPU (mask_canvas.h) and they become the mask image only when it is written. White
// repaints, black keeps, at the init image's size; every edit is a step of the undo history.
#include <QImage>
#include <QList>
#include <QPointF>
#include <QSize>

#include <vector>

namespace atelier::ui {

// One brush stroke: dabs (image pixels) of one size and hardness, painting white or black.
struct MaskStroke {
  bool paint = true;      // false: erases (paints black)
  float radius = 16;      // pixels
  float hardness = 0.5f;  // the share of the radius at full strength; beyond it fades out linearly
  QList<QPointF> dabs;
};

// A mask: a base image (null: black) and the strokes over it, in order. Each dab blends
// source-over: painting moves a pixel towards white by the dab's strength, erasing towards black.
struct MaskState {
  QImage base;  // Format_Grayscale8 at the document's size, or null
  QList<MaskStroke> strokes;
};

class MaskDocument {
 public:
  static constexpr std::size_t kHistoryLimit = 100;

  // A blank mask of `size`, with no history.
  void reset(QSize size);
  QSize size() const { return size_; }
  const MaskState& state() const { return history_[current_]; }
  // Nothing would repaint: no base and no paint stroke.
  bool blank() const;

  void begin_stroke(bool paint, float radius, float hardness, QPointF at);
  // Dabs along the segment from the last dab to `to`, a quarter of the radius apart (as image
  // editors space them); returns how many were added.
  int extend_stroke(QPointF to);
  void invert();
  void clear();
  // `mask` resized to the document's size, as luminance (transparent pixels count as black).
  void load(const QImage& mask);

  bool can_undo() const { return current_ > 0; }
  bool can_redo() const { return current_ + 1 < history_.size(); }
  void undo();
  void redo();

  // The mask as pixels: Format_Grayscale8 at size().
  QImage rasterize() const;

 private:
  void push(MaskState next);

  QSize size_;
  std::vector<MaskState> history_{1};
  std::size_t current_ = 0;
};

}  // namespace atelier::ui
