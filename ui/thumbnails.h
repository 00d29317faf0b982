#pragma once
// QML's way to thumbnails: `Thumbnails.url(path)`. Creating the singleton installs the
// thumbnail provider in its engine, so any engine that shows the gallery can serve them.
#include <QObject>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

class QQmlEngine;
class QJSEngine;

namespace atelier::ui {

class Thumbnails : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_SINGLETON

 public:
  static Thumbnails* create(QQmlEngine* engine, QJSEngine* script_engine);

  Q_INVOKABLE QUrl url(const QString& path) const;

 private:
  // Not default-constructible, so that QML creates it through create().
  explicit Thumbnails(QObject* engine) : QObject(engine) {}
};

}  // namespace atelier::ui
