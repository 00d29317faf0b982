#include "app/window_grab.h"

#include <QCoreApplication>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTimer>

#include <functional>

#include "ui/studio_controller.h"

namespace atelier::app {
namespace {

constexpr int kSettleMs = 500;  // longer than Qt Quick Controls' transitions

// Calls `then(true)` once `ready()` holds, checked every 100 ms, or `then(false)` after 5 s:
// images load asynchronously and the gallery indexes new files off the UI thread.
void when(QQuickWindow& window, std::function<bool()> ready, std::function<void(bool)> then) {
  auto* timer = new QTimer(&window);
  timer->setInterval(100);
  QObject::connect(timer, &QTimer::timeout, &window, [timer, ready, then, tries = 0]() mutable {
    const bool is_ready = ready();
    if (!is_ready && ++tries < 50) return;
    timer->stop();
    timer->deleteLater();
    then(is_ready);
  });
  timer->start();
}

// Searched in the tree of visual items, as a view's delegates are not QObject children.
const QQuickItem* find_item(const QQuickItem* item, const QString& name) {
  if (item->objectName() == name) return item;
  for (const auto* child : item->childItems())
    if (const auto* found = find_item(child, name)) return found;
  return nullptr;
}

// True when the window holds an Image of this objectName that has finished loading.
bool image_shown(const QQuickWindow& window, const char* name) {
  const auto* image = find_item(window.contentItem(), QString::fromLatin1(name));
  return image && image->property("status").toInt() == 1;  // Image.Ready
}

bool save_grab(QQuickWindow& window, const QString& png, bool shown, const char* what) {
  const bool saved = window.grabWindow().save(png);
  if (!shown) qCritical("%s did not appear", what);
  if (!saved) qCritical("could not write %s", qPrintable(png));
  return shown && saved;
}

void grab_gallery(QQuickWindow& window, const ui::GalleryModel& gallery, const QString& png) {
  when(window, [&gallery] { return gallery.rowCount() > 0; }, [&window, png](bool indexed) {
    if (!indexed) {
      qCritical("the new image did not reach the gallery");
      return QCoreApplication::exit(1);
    }
    QMetaObject::invokeMethod(&window, "showInGallery", Q_ARG(QVariant, 0));
    when(window, [&window] { return image_shown(window, "thumbnail") && image_shown(window, "viewerImage"); },
         [&window, png](bool shown) {
           // The tab bar's highlight is still sliding to the new tab for a moment.
           QTimer::singleShot(kSettleMs, &window, [&window, png, shown] {
             QCoreApplication::exit(save_grab(window, png, shown, "the gallery's thumbnail and viewer") ? 0 : 1);
           });
         });
  });
}

}  // namespace

void generate_and_grab(QQuickWindow& window, ui::StudioController& controller, const QString& png,
                       const QString& gallery_png) {
  QObject::connect(&controller, &ui::StudioController::jobFinished, &window, [&window, &controller, png, gallery_png] {
    when(window, [&window] { return image_shown(window, "resultImage"); },
         [&window, &controller, png, gallery_png](bool shown) {
           if (!save_grab(window, png, shown, "the result image")) return QCoreApplication::exit(1);
           if (gallery_png.isEmpty()) return QCoreApplication::exit(0);
           grab_gallery(window, *controller.gallery(), gallery_png);
         });
  });
  QObject::connect(&controller, &ui::StudioController::errorOccurred, &window, [](const QString& message) {
    qCritical("generation failed: %s", qPrintable(message));
    QCoreApplication::exit(1);
  });
  QMetaObject::invokeMethod(&window, "generate");
}

}  // namespace atelier::app
