#pragma once
// The mask editor's canvas: a MaskDocument's strokes drawn by the scene graph as triangle
// geometry (each dab a disc fading out past its hardness), so a stroke costs the GPU a few new
// vertices, never a re-uploaded image. Painting blends the tint in, erasing takes it out: the
// item is meant to be a layer (`layer.enabled: true`) shown at some opacity over the image.
// Qt Quick's software renderer gets the mask's raster instead. Positions are the item's; the
// document works in the image's pixels.
#include <QColor>
#include <QQuickItem>
#include <QSize>
#include <QtQml/qqmlregistration.h>

#include <vector>

#include "ui/mask_document.h"

class QSGGeometryNode;

namespace atelier::ui {

class MaskCanvas : public QQuickItem {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(QSize imageSize READ imageSize WRITE setImageSize NOTIFY imageSizeChanged)
  Q_PROPERTY(int brushSize READ brushSize WRITE setBrushSize NOTIFY brushSizeChanged)  // diameter, image pixels
  Q_PROPERTY(qreal hardness READ hardness WRITE setHardness NOTIFY hardnessChanged)
  Q_PROPERTY(bool erasing READ erasing WRITE setErasing NOTIFY erasingChanged)
  Q_PROPERTY(QColor tint READ tint WRITE setTint NOTIFY tintChanged)
  Q_PROPERTY(bool canUndo READ canUndo NOTIFY edited)
  Q_PROPERTY(bool canRedo READ canRedo NOTIFY edited)
  Q_PROPERTY(bool blank READ blank NOTIFY edited)
  Q_PROPERTY(int revision READ revision NOTIFY edited)

 public:
  static constexpr int kMinimumBrush = 1;
  static constexpr int kMaximumBrush = 1024;

  explicit MaskCanvas(QQuickItem* parent = nullptr);

  QSize imageSize() const { return document_.size(); }
  void setImageSize(QSize size);  // a new size starts a blank mask
  int brushSize() const { return brush_size_; }
  void setBrushSize(int size);
  qreal hardness() const { return hardness_; }
  void setHardness(qreal hardness);
  bool erasing() const { return erasing_; }
  void setErasing(bool erasing);
  QColor tint() const { return tint_; }
  void setTint(const QColor& tint);
  bool canUndo() const { return document_.can_undo(); }
  bool canRedo() const { return document_.can_redo(); }
  bool blank() const { return document_.blank(); }
  int revision() const { return revision_; }

  // A stroke in item coordinates, as a mouse or pen draws it.
  Q_INVOKABLE void beginStroke(qreal x, qreal y);
  Q_INVOKABLE void extendStroke(qreal x, qreal y);
  Q_INVOKABLE void endStroke() { stroking_ = false; }
  Q_INVOKABLE void undo();
  Q_INVOKABLE void redo();
  Q_INVOKABLE void invert();
  Q_INVOKABLE void clear();
  Q_INVOKABLE void reset();  // blank, with no history: for a new init image
  // A mask image (white repaints) replaces the mask, fitted to the image size; false, with
  // `error` set, when the file cannot be read.
  Q_INVOKABLE bool loadMask(const QString& path);
  // The mask as a greyscale PNG at the image size; false, with `error` set, on failure.
  Q_INVOKABLE bool saveMask(const QString& path);
  // The rasterised mask at an image pixel: 0 keeps, 1 repaints.
  Q_INVOKABLE qreal maskValue(int x, int y) const;
  Q_INVOKABLE QString error() const { return error_; }

  QImage rasterize() const { return document_.rasterize(); }

 Q_SIGNALS:
  void imageSizeChanged();
  void brushSizeChanged();
  void hardnessChanged();
  void erasingChanged();
  void tintChanged();
  void edited();

 protected:
  QSGNode* updatePaintNode(QSGNode* old, UpdatePaintNodeData* data) override;
  void geometryChange(const QRectF& new_geometry, const QRectF& old_geometry) override;

 private:
  QPointF to_image(qreal x, qreal y) const;
  // After an edit: `redraw_all` for anything but a stroke growing at the end.
  void changed(bool redraw_all);

  MaskDocument document_;
  int brush_size_ = 48;
  qreal hardness_ = 0.5;
  bool erasing_ = false;
  QColor tint_{255, 64, 129};
  bool stroking_ = false;
  int revision_ = 0;
  QString error_;
  mutable QImage raster_;  // rasterize() as of raster_revision_, for maskValue
  mutable int raster_revision_ = -1;

  // Render-thread bookkeeping of the nodes drawn so far (touched only in updatePaintNode).
  bool redraw_all_ = true;
  int drawn_revision_ = -1;
  std::vector<QSGGeometryNode*> stroke_nodes_;
  std::vector<qsizetype> stroke_node_dabs_;
};

}  // namespace atelier::ui
