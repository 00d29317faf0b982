#pragma once
// The live preview and the latest result for QML's Image, as image://studio/<name>/<revision>
// (a new revision makes Image fetch again). The store is shared with the provider because the
// QML engine owns providers and may ask from its image-loading thread.
#include <QHash>
#include <QImage>
#include <QMutex>
#include <QQuickImageProvider>

#include <memory>

namespace atelier::ui {

class ImageStore {
 public:
  void set(const QString& name, const QImage& image);
  QImage get(const QString& name) const;

 private:
  mutable QMutex mutex_;
  QHash<QString, QImage> images_;
};

class StudioImageProvider : public QQuickImageProvider {
 public:
  static constexpr const char* kName = "studio";

  explicit StudioImageProvider(std::shared_ptr<const ImageStore> store);
  QImage requestImage(const QString& id, QSize* size, const QSize& requested_size) override;

 private:
  std::shared_ptr<const ImageStore> store_;
};

}  // namespace atelier::ui
