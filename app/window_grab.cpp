#include "app/window_grab.h"

#include <QCoreApplication>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTimer>

#include "ui/studio_controller.h"

namespace atelier::app {
namespace {

// Grabs once the result Image has finished loading (it loads asynchronously from the provider).
void grab_when_shown(QQuickWindow& window, const QString& png) {
  auto* timer = new QTimer(&window);
  timer->setInterval(100);
  QObject::connect(timer, &QTimer::timeout, &window, [&window, png, timer, tries = 0]() mutable {
    auto* result = window.findChild<QQuickItem*>(QStringLiteral("resultImage"));
    const bool ready = result && result->property("status").toInt() == 1;  // Image.Ready
    if (!ready && ++tries < 50) return;
    timer->stop();
    const bool saved = window.grabWindow().save(png);
    if (!ready) qCritical("the result image did not appear");
    if (!saved) qCritical("could not write %s", qPrintable(png));
    QCoreApplication::exit(saved && ready ? 0 : 1);
  });
  timer->start();
}

}  // namespace

void generate_and_grab(QQuickWindow& window, ui::StudioController& controller, const QString& png) {
  QObject::connect(&controller, &ui::StudioController::jobFinished, &window, [&window, png] { grab_when_shown(window, png); });
  QObject::connect(&controller, &ui::StudioController::errorOccurred, &window, [](const QString& message) {
    qCritical("generation failed: %s", qPrintable(message));
    QCoreApplication::exit(1);
  });
  QMetaObject::invokeMethod(&window, "generate");
}

}  // namespace atelier::app
