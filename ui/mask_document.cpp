#include "ui/mask_document.h"

#include <QLineF>
#include <QPainter>
#include <QRadialGradient>

#include <algorithm>
#include <cmath>

namespace atelier::ui {
namespace {

QImage filled(QSize size, int level) {
  QImage image(size, QImage::Format_Grayscale8);
  image.fill(QColor(level, level, level));
  return image;
}

void draw_stroke(QPainter& painter, const MaskStroke& stroke) {
  const int level = stroke.paint ? 255 : 0;
  const QColor full(level, level, level), faded(level, level, level, 0);
  for (const QPointF& centre : stroke.dabs) {
    if (stroke.hardness >= 1) {
      painter.setBrush(full);
    } else {
      QRadialGradient falloff(centre, stroke.radius);
      falloff.setColorAt(0, full);
      falloff.setColorAt(stroke.hardness, full);
      falloff.setColorAt(1, faded);
      painter.setBrush(falloff);
    }
    painter.drawEllipse(centre, stroke.radius, stroke.radius);
  }
}

}  // namespace

void MaskDocument::reset(QSize size) {
  size_ = size;
  history_.assign(1, MaskState{});
  current_ = 0;
}

bool MaskDocument::blank() const {
  const auto& s = state();
  return s.base.isNull() && std::none_of(s.strokes.begin(), s.strokes.end(), [](const MaskStroke& k) { return k.paint; });
}

void MaskDocument::begin_stroke(bool paint, float radius, float hardness, QPointF at) {
  MaskState next = state();
  next.strokes.append(MaskStroke{paint, std::max(radius, 0.5f), std::clamp(hardness, 0.0f, 1.0f), {at}});
  push(std::move(next));
}

int MaskDocument::extend_stroke(QPointF to) {
  if (state().strokes.isEmpty()) return 0;
  auto& stroke = history_[current_].strokes.last();
  const qreal spacing = std::max(1.0f, stroke.radius / 4);
  const QLineF segment(stroke.dabs.last(), to);
  const int count = static_cast<int>(std::floor(segment.length() / spacing + 1e-9));
  for (int i = 1; i <= count; ++i) stroke.dabs.append(segment.pointAt(i * spacing / segment.length()));
  return count;
}

// Source-over keeps its form when black and white swap (1 - (m(1-a) + va) = (1-m)(1-a) + (1-v)a),
// so flipping the base and every stroke's colour inverts the whole mask.
void MaskDocument::invert() {
  MaskState next = state();
  if (next.base.isNull()) {
    next.base = filled(size_, 255);
  } else {
    next.base.invertPixels();
  }
  for (auto& stroke : next.strokes) stroke.paint = !stroke.paint;
  push(std::move(next));
}

void MaskDocument::clear() { push(MaskState{}); }

void MaskDocument::load(const QImage& mask) {
  QImage over_black(size_, QImage::Format_ARGB32_Premultiplied);
  over_black.fill(Qt::black);
  QPainter painter(&over_black);
  painter.setRenderHint(QPainter::SmoothPixmapTransform);
  painter.drawImage(QRect(QPoint(), size_), mask);
  painter.end();
  push(MaskState{over_black.convertToFormat(QImage::Format_Grayscale8), {}});
}

void MaskDocument::undo() {
  if (can_undo()) --current_;
}

void MaskDocument::redo() {
  if (can_redo()) ++current_;
}

void MaskDocument::push(MaskState next) {
  history_.resize(current_ + 1);  // a new edit drops what could be redone
  history_.push_back(std::move(next));
  if (history_.size() > kHistoryLimit + 1) history_.erase(history_.begin());
  current_ = history_.size() - 1;
}

QImage MaskDocument::rasterize() const {
  QImage canvas(size_, QImage::Format_ARGB32_Premultiplied);
  canvas.fill(Qt::black);
  QPainter painter(&canvas);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setPen(Qt::NoPen);
  if (!state().base.isNull()) painter.drawImage(0, 0, state().base);
  for (const auto& stroke : state().strokes) draw_stroke(painter, stroke);
  painter.end();
  return canvas.convertToFormat(QImage::Format_Grayscale8);
}

}  // namespace atelier::ui
