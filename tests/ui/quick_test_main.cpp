// Qt Quick Test runner for tests/ui/qml: the Atelier module is linked in statically; `fixturesDir`
// is the reference fixtures' folder, `testDataDir` tests/data, `testOutputDir` where screenshots go
// (the build tree).
#include <QQmlContext>
#include <QQmlEngine>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>

Q_IMPORT_QML_PLUGIN(AtelierPlugin)

class Setup : public QObject {
  Q_OBJECT

 public Q_SLOTS:
  void qmlEngineAvailable(QQmlEngine* engine) {
    engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    engine->rootContext()->setContextProperty(QStringLiteral("fixturesDir"), QStringLiteral(ATELIER_FIXTURES_DIR));
    engine->rootContext()->setContextProperty(QStringLiteral("testDataDir"), QStringLiteral(ATELIER_TEST_DATA_DIR));
    engine->rootContext()->setContextProperty(QStringLiteral("testOutputDir"), QStringLiteral(ATELIER_UI_TEST_BINARY_DIR));
  }
};

QUICK_TEST_MAIN_WITH_SETUP(atelier_views, Setup)

#include "quick_test_main.moc"
