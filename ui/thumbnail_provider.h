#pragma once
// Gallery thumbnails for QML's Image as image://thumbnail/<id>: made (or read from the disk
// cache, core/gallery/thumbnails.h) on the provider's own pool, so neither the UI thread nor
// QML's image thread ever decodes a full picture. A cell scrolled away cancels its request.
#include <QQuickAsyncImageProvider>
#include <QThreadPool>
#include <QUrl>

namespace atelier::ui {

class ThumbnailProvider : public QQuickAsyncImageProvider {
 public:
  static constexpr const char* kName = "thumbnail";

  explicit ThumbnailProvider(QString cache_dir);
  // The URL of the thumbnail of the image at `path`.
  static QUrl url(const QString& path);
  QQuickImageResponse* requestImageResponse(const QString& id, const QSize& requested_size) override;

 private:
  QString cache_dir_;
  QThreadPool pool_;
};

}  // namespace atelier::ui
