#include "ui/studio_images.h"

#include <QMutexLocker>

namespace atelier::ui {

void ImageStore::set(const QString& name, const QImage& image) {
  QMutexLocker lock(&mutex_);
  images_.insert(name, image);
}

QImage ImageStore::get(const QString& name) const {
  QMutexLocker lock(&mutex_);
  return images_.value(name);
}

StudioImageProvider::StudioImageProvider(std::shared_ptr<const ImageStore> store)
    : QQuickImageProvider(QQuickImageProvider::Image), store_(std::move(store)) {}

QImage StudioImageProvider::requestImage(const QString& id, QSize* size, const QSize& requested_size) {
  auto image = store_->get(id.section(QLatin1Char('/'), 0, 0));  // "<name>/<revision>"
  if (size) *size = image.size();
  if (requested_size.isValid() && !image.isNull())
    image = image.scaled(requested_size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
  return image;
}

}  // namespace atelier::ui
