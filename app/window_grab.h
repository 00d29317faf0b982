#pragma once
// --generate-and-grab and --grab-gallery: drive the window like a user (fill the form, press
// Generate, then open the new image in the Gallery tab) and save what the window shows once
// each picture is on screen, then quit. For the smoke test.
#include <QString>

class QQuickWindow;

namespace atelier::ui {
class StudioController;
}

namespace atelier::app {

// Exits the application with 0 after writing `png`, a grab of the generated result, and then,
// unless `gallery_png` is empty, a grab of the Gallery tab with the new image selected; with 1
// on a generation error or when a picture did not appear.
void generate_and_grab(QQuickWindow& window, ui::StudioController& controller, const QString& png,
                       const QString& gallery_png);

}  // namespace atelier::app
