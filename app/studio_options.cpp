#include "app/studio_options.h"

#include <QCommandLineParser>
#include <QCoreApplication>

namespace atelier::app {

StudioOptions parse_studio_options(const QCoreApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Atelier: a Stable Diffusion studio"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Select this checkpoint."), QStringLiteral("file"));
  const QCommandLineOption output(QStringLiteral("output-dir"), QStringLiteral("Save images here for this run."), QStringLiteral("dir"));
  const QCommandLineOption prompt(QStringLiteral("prompt"), QStringLiteral("Prompt to put in the form."), QStringLiteral("text"));
  const QCommandLineOption steps(QStringLiteral("steps"), QStringLiteral("Sampling steps."), QStringLiteral("n"));
  const QCommandLineOption width(QStringLiteral("width"), QStringLiteral("Image width."), QStringLiteral("px"));
  const QCommandLineOption height(QStringLiteral("height"), QStringLiteral("Image height."), QStringLiteral("px"));
  const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Seed (-1: random)."), QStringLiteral("n"));
  const QCommandLineOption grab(QStringLiteral("generate-and-grab"),
                                QStringLiteral("Generate once, save a grab of the window to this PNG and quit (for tests)."),
                                QStringLiteral("png"));
  const QCommandLineOption grab_gallery(
      QStringLiteral("grab-gallery"),
      QStringLiteral("With --generate-and-grab: then open the new image in the Gallery tab and grab that too."),
      QStringLiteral("png"));
  parser.addOptions({model, output, prompt, steps, width, height, seed, grab, grab_gallery});
  parser.process(app);

  StudioOptions options{parser.value(model), parser.value(output), {}, parser.value(grab), parser.value(grab_gallery)};
  if (!options.grab_gallery.isEmpty() && options.generate_and_grab.isEmpty()) {
    qCritical("--grab-gallery needs --generate-and-grab");
    ::exit(2);
  }
  if (parser.isSet(prompt)) options.form[QStringLiteral("prompt")] = parser.value(prompt);
  for (const auto* option : {&steps, &width, &height, &seed}) {
    if (!parser.isSet(*option)) continue;
    bool ok = false;
    const auto value = parser.value(*option).toLongLong(&ok);
    if (!ok) {
      qCritical("--%s needs a number", qPrintable(option->names().front()));
      ::exit(2);
    }
    options.form[option->names().front()] = value;
  }
  if (!options.model.isEmpty()) options.form[QStringLiteral("model")] = options.model;
  return options;
}

}  // namespace atelier::app
