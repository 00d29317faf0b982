#include "ui/thumbnail_provider.h"

#include <QFutureWatcher>
#include <QImageReader>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <memory>

#include "core/gallery/thumbnails.h"

namespace atelier::ui {
namespace {

constexpr int kThumbnailSide = 256;

struct Thumbnail {
  QImage image;
  QString error;
};

Thumbnail make_thumbnail(const QString& path, const QString& cache_dir, const QSize& requested_size) {
  try {
    QImageReader reader(QString::fromStdString(thumbnail(path.toStdString(), cache_dir.toStdString(), kThumbnailSide).string()));
    if (requested_size.isValid()) reader.setScaledSize(reader.size().scaled(requested_size, Qt::KeepAspectRatio));
    Thumbnail result{reader.read(), {}};
    if (result.image.isNull()) result.error = reader.errorString();
    return result;
  } catch (const std::exception& error) {
    return {{}, QString::fromUtf8(error.what())};
  }
}

class ThumbnailResponse : public QQuickImageResponse {
 public:
  ThumbnailResponse(const QString& path, const QString& cache_dir, const QSize& requested_size, QThreadPool& pool) {
    connect(&watcher_, &QFutureWatcherBase::finished, this, [this] {
      if (!watcher_.isCanceled()) result_ = watcher_.result();
      Q_EMIT finished();
    });
    watcher_.setFuture(QtConcurrent::run(&pool, [=, cancelled = cancelled_]() -> Thumbnail {
      if (*cancelled) return {};  // scrolled past while waiting for a thread
      return make_thumbnail(path, cache_dir, requested_size);
    }));
  }

  QQuickTextureFactory* textureFactory() const override {
    return QQuickTextureFactory::textureFactoryForImage(result_.image);
  }
  QString errorString() const override { return result_.error; }
  void cancel() override { *cancelled_ = true; }

 private:
  std::shared_ptr<std::atomic_bool> cancelled_ = std::make_shared<std::atomic_bool>(false);
  QFutureWatcher<Thumbnail> watcher_;
  Thumbnail result_;
};

}  // namespace

ThumbnailProvider::ThumbnailProvider(QString cache_dir) : cache_dir_(std::move(cache_dir)) {
  // Decoding is CPU-bound: leave a core to the UI thread and the generation worker.
  pool_.setMaxThreadCount(std::max(1, QThread::idealThreadCount() / 2));
}

QUrl ThumbnailProvider::url(const QString& path) {
  // Base64 because the image URL's path is partly decoded before the provider sees it.
  return QUrl(QStringLiteral("image://%1/%2")
                  .arg(QLatin1String(kName),
                       QString::fromLatin1(path.toUtf8().toBase64(QByteArray::Base64UrlEncoding |
                                                                 QByteArray::OmitTrailingEquals))));
}

QQuickImageResponse* ThumbnailProvider::requestImageResponse(const QString& id, const QSize& requested_size) {
  const auto path = QString::fromUtf8(QByteArray::fromBase64(id.toLatin1(), QByteArray::Base64UrlEncoding));
  return new ThumbnailResponse(path, cache_dir_, requested_size, pool_);
}

}  // namespace atelier::ui
