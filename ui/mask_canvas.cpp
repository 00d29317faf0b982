#include "ui/mask_canvas.h"

#include <QMatrix4x4>
#include <QQuickWindow>
#include <QSGGeometryNode>
#include <QSGImageNode>
#include <QSGMaterial>
#include <QSGMaterialShader>
#include <QSGTransformNode>
#include <QUrl>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>

namespace atelier::ui {
namespace {

constexpr int kSegments = 24;  // of a dab's circle

// Qt's own vertex-colour shaders (those of QSGVertexColorMaterial, compiled into Qt Quick) with
// our blending: painting is premultiplied source-over; erasing scales what is there by
// (1 - the dab's alpha), colour and alpha alike, which takes the tint out where the dab falls.
class MaskBlendShader : public QSGMaterialShader {
 public:
  explicit MaskBlendShader(bool erase) : erase_(erase) {
    setShaderFileName(VertexStage, QStringLiteral(":/qt-project.org/scenegraph/shaders_ng/vertexcolor.vert.qsb"));
    setShaderFileName(FragmentStage, QStringLiteral(":/qt-project.org/scenegraph/shaders_ng/vertexcolor.frag.qsb"));
    setFlag(UpdatesGraphicsPipelineState);
  }

  // The shaders' uniform block: mat4 matrix, float opacity.
  bool updateUniformData(RenderState& state, QSGMaterial*, QSGMaterial*) override {
    QByteArray* block = state.uniformData();
    bool changed = false;
    if (state.isMatrixDirty()) {
      std::memcpy(block->data(), state.combinedMatrix().constData(), 64);
      changed = true;
    }
    if (state.isOpacityDirty()) {
      const float opacity = state.opacity();
      std::memcpy(block->data() + 64, &opacity, sizeof opacity);
      changed = true;
    }
    return changed;
  }

  bool updateGraphicsPipelineState(RenderState&, GraphicsPipelineState* pipeline, QSGMaterial*, QSGMaterial*) override {
    pipeline->blendEnable = true;
    pipeline->srcColor = erase_ ? GraphicsPipelineState::Zero : GraphicsPipelineState::One;
    pipeline->dstColor = GraphicsPipelineState::OneMinusSrcAlpha;
    return true;
  }

 private:
  bool erase_;
};

class MaskBlendMaterial : public QSGMaterial {
 public:
  explicit MaskBlendMaterial(bool erase) : erase_(erase) { setFlag(Blending); }

  QSGMaterialType* type() const override {
    static std::array<QSGMaterialType, 2> types;  // paint, erase: one pipeline each
    return &types[erase_ ? 1 : 0];
  }
  QSGMaterialShader* createShader(QSGRendererInterface::RenderMode) const override { return new MaskBlendShader(erase_); }
  int compare(const QSGMaterial*) const override { return 0; }  // the type says it all

 private:
  bool erase_;
};

struct Direction {
  float x, y;
};

const std::array<Direction, kSegments + 1>& circle() {
  static const auto points = [] {
    std::array<Direction, kSegments + 1> p{};
    for (int k = 0; k <= kSegments; ++k) {
      const double angle = 2 * std::numbers::pi * k / kSegments;
      p[k] = {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))};
    }
    return p;
  }();
  return points;
}

// Each dab: a disc at full strength out to radius × hardness, then a ring fading to nothing at
// the radius, as the raster's radial gradient does (the GPU interpolates the alpha linearly).
void fill_stroke_geometry(QSGGeometry& geometry, const MaskStroke& stroke, const QColor& tint) {
  const bool ring = stroke.hardness < 1;
  const int per_dab = kSegments * (ring ? 9 : 3);
  geometry.allocate(static_cast<int>(stroke.dabs.size()) * per_dab);
  auto* vertex = geometry.vertexDataAsColoredPoint2D();
  const auto channel = [&](int value) { return static_cast<uchar>(stroke.paint ? value : 0); };
  const uchar r = channel(tint.red()), g = channel(tint.green()), b = channel(tint.blue());
  const auto put = [&](float x, float y, bool full) { (vertex++)->set(x, y, full ? r : 0, full ? g : 0, full ? b : 0, full ? 255 : 0); };
  const float inner = stroke.radius * stroke.hardness, outer = stroke.radius;
  const auto& dir = circle();
  for (const QPointF& centre : stroke.dabs) {
    const auto cx = static_cast<float>(centre.x()), cy = static_cast<float>(centre.y());
    for (int k = 0; k < kSegments; ++k) {
      const Direction d0 = dir[k], d1 = dir[k + 1];
      put(cx, cy, true);
      put(cx + inner * d0.x, cy + inner * d0.y, true);
      put(cx + inner * d1.x, cy + inner * d1.y, true);
      if (!ring) continue;
      put(cx + inner * d0.x, cy + inner * d0.y, true);
      put(cx + outer * d0.x, cy + outer * d0.y, false);
      put(cx + outer * d1.x, cy + outer * d1.y, false);
      put(cx + inner * d0.x, cy + inner * d0.y, true);
      put(cx + outer * d1.x, cy + outer * d1.y, false);
      put(cx + inner * d1.x, cy + inner * d1.y, true);
    }
  }
}

QSGGeometryNode* stroke_node(bool erase) {
  auto* node = new QSGGeometryNode;
  auto* geometry = new QSGGeometry(QSGGeometry::defaultAttributes_ColoredPoint2D(), 0);
  geometry->setDrawingMode(QSGGeometry::DrawTriangles);
  node->setGeometry(geometry);
  node->setMaterial(new MaskBlendMaterial(erase));
  node->setFlags(QSGNode::OwnsGeometry | QSGNode::OwnsMaterial);
  return node;
}

// The mask as the tint at each pixel's strength, premultiplied.
QImage tinted(const QImage& mask, const QColor& tint) {
  QImage out(mask.size(), QImage::Format_ARGB32_Premultiplied);
  for (int y = 0; y < mask.height(); ++y) {
    const uchar* level = mask.constScanLine(y);
    auto* pixel = reinterpret_cast<QRgb*>(out.scanLine(y));
    for (int x = 0; x < mask.width(); ++x)
      pixel[x] = qRgba(tint.red() * level[x] / 255, tint.green() * level[x] / 255, tint.blue() * level[x] / 255, level[x]);
  }
  return out;
}

QSGNode* image_node(QQuickWindow& window, const QImage& mask, const QColor& tint) {
  QSGImageNode* node = window.createImageNode();
  node->setTexture(window.createTextureFromImage(tinted(mask, tint)));
  node->setOwnsTexture(true);
  node->setFiltering(QSGTexture::Linear);
  node->setRect(QRectF(QPointF(), mask.size()));
  return node;
}

}  // namespace

MaskCanvas::MaskCanvas(QQuickItem* parent) : QQuickItem(parent) { setFlag(ItemHasContents); }

void MaskCanvas::setImageSize(QSize size) {
  if (size == document_.size()) return;
  document_.reset(size);
  changed(true);
  Q_EMIT imageSizeChanged();
}

void MaskCanvas::setBrushSize(int size) {
  size = std::clamp(size, kMinimumBrush, kMaximumBrush);
  if (size == brush_size_) return;
  brush_size_ = size;
  Q_EMIT brushSizeChanged();
}

void MaskCanvas::setHardness(qreal hardness) {
  hardness = std::clamp(hardness, 0.0, 1.0);
  if (hardness == hardness_) return;
  hardness_ = hardness;
  Q_EMIT hardnessChanged();
}

void MaskCanvas::setErasing(bool erasing) {
  if (erasing == erasing_) return;
  erasing_ = erasing;
  Q_EMIT erasingChanged();
}

void MaskCanvas::setTint(const QColor& tint) {
  if (tint == tint_) return;
  tint_ = tint;
  redraw_all_ = true;
  update();
  Q_EMIT tintChanged();
}

QPointF MaskCanvas::to_image(qreal x, qreal y) const {
  const QSize size = document_.size();
  return {width() > 0 ? x * size.width() / width() : 0, height() > 0 ? y * size.height() / height() : 0};
}

void MaskCanvas::beginStroke(qreal x, qreal y) {
  if (document_.size().isEmpty()) return;
  document_.begin_stroke(!erasing_, static_cast<float>(brush_size_) / 2, static_cast<float>(hardness_), to_image(x, y));
  stroking_ = true;
  changed(false);
}

void MaskCanvas::extendStroke(qreal x, qreal y) {
  if (stroking_ && document_.extend_stroke(to_image(x, y)) > 0) changed(false);
}

void MaskCanvas::undo() {
  if (!document_.can_undo()) return;
  document_.undo();
  changed(true);
}

void MaskCanvas::redo() {
  if (!document_.can_redo()) return;
  document_.redo();
  changed(true);
}

void MaskCanvas::invert() {
  if (document_.size().isEmpty()) return;
  document_.invert();
  changed(true);
}

void MaskCanvas::clear() {
  document_.clear();
  changed(true);
}

void MaskCanvas::reset() {
  document_.reset(document_.size());
  changed(true);
}

bool MaskCanvas::loadMask(const QString& path) {
  const QString file = path.startsWith(QLatin1String("file:")) ? QUrl(path).toLocalFile() : path;
  const QImage mask(file);
  if (document_.size().isEmpty()) {
    error_ = tr("Choose an init image before its mask");
    return false;
  }
  if (mask.isNull()) {
    error_ = tr("Cannot read the mask image %1").arg(file);
    return false;
  }
  document_.load(mask);
  changed(true);
  return true;
}

bool MaskCanvas::saveMask(const QString& path) {
  if (document_.size().isEmpty() || !rasterize().save(path, "PNG")) {
    error_ = tr("Could not write the mask to %1").arg(path);
    return false;
  }
  return true;
}

qreal MaskCanvas::maskValue(int x, int y) const {
  if (raster_revision_ != revision_) {
    raster_ = rasterize();
    raster_revision_ = revision_;
  }
  return raster_.valid(x, y) ? raster_.constScanLine(y)[x] / 255.0 : 0;
}

void MaskCanvas::changed(bool redraw_all) {
  if (redraw_all) redraw_all_ = true;
  ++revision_;
  update();
  Q_EMIT edited();
}

void MaskCanvas::geometryChange(const QRectF& new_geometry, const QRectF& old_geometry) {
  QQuickItem::geometryChange(new_geometry, old_geometry);
  update();  // the strokes' scale to the item
}

QSGNode* MaskCanvas::updatePaintNode(QSGNode* old, UpdatePaintNodeData*) {
  const QSize size = document_.size();
  auto* root = static_cast<QSGTransformNode*>(old);
  if (!root) {
    root = new QSGTransformNode;
    redraw_all_ = true;
  }
  if (size.isEmpty()) return root;
  QMatrix4x4 to_item;
  to_item.scale(static_cast<float>(width() / size.width()), static_cast<float>(height() / size.height()));
  root->setMatrix(to_item);

  // Qt Quick's software renderer (no GPU, as offscreen) draws no custom materials: there the
  // mask is shown as its raster, redrawn after each edit.
  const bool software = window()->rendererInterface()->graphicsApi() == QSGRendererInterface::Software;
  const MaskState& state = document_.state();
  if (redraw_all_ || (software && drawn_revision_ != revision_)) {
    while (QSGNode* child = root->firstChild()) {
      root->removeChildNode(child);
      delete child;
    }
    stroke_nodes_.clear();
    stroke_node_dabs_.clear();
    const QImage shown = software ? document_.rasterize() : state.base;  // a loaded or inverted base: uploaded once
    if (!shown.isNull()) root->appendChildNode(image_node(*window(), shown, tint_));
    redraw_all_ = false;
  }
  drawn_revision_ = revision_;
  if (software) return root;

  // Strokes only grow at the end between full redraws: new ones get a node, the growing one
  // new geometry, the others stay on the GPU as they are.
  for (qsizetype i = 0; i < state.strokes.size(); ++i) {
    const MaskStroke& stroke = state.strokes[i];
    const auto index = static_cast<std::size_t>(i);
    if (index == stroke_nodes_.size()) {
      stroke_nodes_.push_back(stroke_node(!stroke.paint));
      stroke_node_dabs_.push_back(0);
      root->appendChildNode(stroke_nodes_.back());
    }
    if (stroke_node_dabs_[index] == stroke.dabs.size()) continue;
    fill_stroke_geometry(*stroke_nodes_[index]->geometry(), stroke, tint_);
    stroke_nodes_[index]->markDirty(QSGNode::DirtyGeometry);
    stroke_node_dabs_[index] = stroke.dabs.size();
  }
  return root;
}

}  // namespace atelier::ui
