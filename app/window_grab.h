#pragma once
// --generate-and-grab: drives the window like a user (fill the form, press Generate), then
// saves what the window shows once the result is on screen, and quits. For the smoke test.
#include <QString>
#include <QVariantMap>

class QQuickWindow;

namespace atelier::ui {
class StudioController;
}

namespace atelier::app {

// Exits the application with 0 after writing `png`, or 1 on a generation error.
void generate_and_grab(QQuickWindow& window, ui::StudioController& controller, const QString& png);

}  // namespace atelier::app
