#pragma once
// The studio's command line. Everything is optional; the flags after --model are for
// scripted runs and the CTest smoke test.
#include <QString>
#include <QVariantMap>

#include <optional>

class QCoreApplication;

namespace atelier::app {

struct StudioOptions {
  QString model;              // --model FILE: listed and selected even outside the models folders
  QString output_folder;      // --output-dir DIR: overrides the setting for this run
  QVariantMap form;           // --prompt, --steps, --width, --height, --seed: put in the form
  QString generate_and_grab;  // --generate-and-grab PNG: generate once, save a grab of the window, quit
  QString grab_gallery;       // --grab-gallery PNG: with the above, then also grab the Gallery tab
};

// Exits with a usage message on unknown or malformed flags, as QCommandLineParser does.
StudioOptions parse_studio_options(const QCoreApplication& app);

}  // namespace atelier::app
