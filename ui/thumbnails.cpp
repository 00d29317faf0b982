#include "ui/thumbnails.h"

#include <QQmlEngine>
#include <QStandardPaths>

#include "ui/thumbnail_provider.h"

namespace atelier::ui {

Thumbnails* Thumbnails::create(QQmlEngine* engine, QJSEngine*) {
  const auto name = QString::fromLatin1(ThumbnailProvider::kName);
  // One cache for every output folder: thumbnails are named by the image's path, size and time.
  if (!engine->imageProvider(name))
    engine->addImageProvider(
        name, new ThumbnailProvider(QStandardPaths::writableLocation(QStandardPaths::CacheLocation) +
                                    QStringLiteral("/thumbnails")));
  return new Thumbnails(engine);
}

QUrl Thumbnails::url(const QString& path) const { return ThumbnailProvider::url(path); }

}  // namespace atelier::ui
