// atelier: the Qt Quick studio. Parses the command line and wires the controller to the
// QML window; the behaviour lives in ui/.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QtQml/qqmlextensionplugin.h>

#include "app/studio_options.h"
#include "app/window_grab.h"
#include "core/pipeline/device_policy.h"
#include "ui/studio_controller.h"
#ifdef ATELIER_WITH_SERVER
#include "app/studio_api.h"
#endif

Q_IMPORT_QML_PLUGIN(AtelierPlugin)

int main(int argc, char* argv[]) {
  atelier::relaunch_with_runtime_settings(argv);
  QGuiApplication app(argc, argv);
  QGuiApplication::setOrganizationName(QStringLiteral("Atelier"));
  QGuiApplication::setApplicationName(QStringLiteral("Atelier"));
  QGuiApplication::setApplicationVersion(QStringLiteral(ATELIER_VERSION));
  QQuickStyle::setStyle(QStringLiteral("Material"));
  const auto options = atelier::app::parse_studio_options(app);

  atelier::ui::StudioController controller;
  if (!options.output_folder.isEmpty()) controller.settings()->setOutputFolder(options.output_folder);
  if (!options.model.isEmpty()) controller.addModelFile(options.model);
#ifdef ATELIER_WITH_SERVER
  atelier::app::StudioApi api(controller);  // stops before the controller's queue goes
#else
  controller.setApiStatus(QObject::tr("This build of Atelier has no API server"));
#endif

  QQmlApplicationEngine engine;
  engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
  engine.addImageProvider(QString::fromLatin1(atelier::ui::StudioImageProvider::kName), controller.createImageProvider());
  engine.setInitialProperties({{QStringLiteral("controller"), QVariant::fromValue(&controller)}});
  QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app, [] { QCoreApplication::exit(1); },
                   Qt::QueuedConnection);
  engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Atelier/qml/Main.qml")));
  auto* window = engine.rootObjects().isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(engine.rootObjects().front());
  if (!window) return 1;

  if (!options.form.isEmpty()) QMetaObject::invokeMethod(window, "applyParameters", Q_ARG(QVariant, options.form));
  if (!options.generate_and_grab.isEmpty())
    atelier::app::generate_and_grab(*window, controller, options.generate_and_grab, options.grab_gallery);
  return QGuiApplication::exec();
}
