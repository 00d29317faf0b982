#include "ui/studio_settings.h"

#include <QDir>
#include <QStandardPaths>
#include <QtDebug>

#include "core/library/library_settings.h"

namespace atelier::ui {

StudioSettings::StudioSettings(QObject* parent) : QObject(parent) {}

QString StudioSettings::defaultModelFolder() {
  return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/atelier/models");
}

QString StudioSettings::defaultOutputFolder() {
  auto pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
  if (pictures.isEmpty()) pictures = QDir::homePath();
  return pictures + QStringLiteral("/Atelier");
}

void StudioSettings::store(const QString& key, const QVariant& value, void (StudioSettings::*changed)()) {
  if (settings_.value(key) == value) return;
  settings_.setValue(key, value);
  Q_EMIT(this->*changed)();
}

QStringList StudioSettings::modelFolders() const {
  return settings_.value(QStringLiteral("models/folders"), QStringList{defaultModelFolder()}).toStringList();
}
void StudioSettings::setModelFolders(const QStringList& folders) {
  store(QStringLiteral("models/folders"), folders, &StudioSettings::modelFoldersChanged);
  shareModelFolders();
}

bool StudioSettings::shareModelFolders() const {
  std::vector<std::filesystem::path> roots;
  for (const auto& folder : modelFolders()) roots.emplace_back(folder.toStdString());
  try {
    if (read_library_roots() != roots) write_library_roots(roots);
    return true;
  } catch (const std::exception& error) {
    qWarning() << "cannot share the model folders with atelier-cli:" << error.what();
    return false;
  }
}

QString StudioSettings::outputFolder() const {
  return settings_.value(QStringLiteral("output/folder"), defaultOutputFolder()).toString();
}
void StudioSettings::setOutputFolder(const QString& folder) {
  store(QStringLiteral("output/folder"), folder, &StudioSettings::outputFolderChanged);
}

QString StudioSettings::device() const { return settings_.value(QStringLiteral("engine/device"), QStringLiteral("auto")).toString(); }
void StudioSettings::setDevice(const QString& device) {
  store(QStringLiteral("engine/device"), device, &StudioSettings::deviceChanged);
}

int StudioSettings::threads() const { return settings_.value(QStringLiteral("engine/threads"), 0).toInt(); }
void StudioSettings::setThreads(int threads) {
  store(QStringLiteral("engine/threads"), threads, &StudioSettings::threadsChanged);
}

QString StudioSettings::vaeTiling() const {
  return settings_.value(QStringLiteral("engine/vaeTiling"), QStringLiteral("auto")).toString();
}
void StudioSettings::setVaeTiling(const QString& tiling) {
  store(QStringLiteral("engine/vaeTiling"), tiling, &StudioSettings::vaeTilingChanged);
}

bool StudioSettings::lowMemory() const { return settings_.value(QStringLiteral("engine/lowMemory"), false).toBool(); }
void StudioSettings::setLowMemory(bool enabled) {
  store(QStringLiteral("engine/lowMemory"), enabled, &StudioSettings::lowMemoryChanged);
}

bool StudioSettings::livePreview() const { return settings_.value(QStringLiteral("view/livePreview"), true).toBool(); }
void StudioSettings::setLivePreview(bool enabled) {
  store(QStringLiteral("view/livePreview"), enabled, &StudioSettings::livePreviewChanged);
}

QString StudioSettings::theme() const { return settings_.value(QStringLiteral("view/theme"), QStringLiteral("dark")).toString(); }
void StudioSettings::setTheme(const QString& theme) {
  store(QStringLiteral("view/theme"), theme, &StudioSettings::themeChanged);
}

QString StudioSettings::lastModel() const { return settings_.value(QStringLiteral("models/last")).toString(); }
void StudioSettings::setLastModel(const QString& path) {
  store(QStringLiteral("models/last"), path, &StudioSettings::lastModelChanged);
}

QString StudioSettings::lastVae() const { return settings_.value(QStringLiteral("models/lastVae"), QStringLiteral("auto")).toString(); }
void StudioSettings::setLastVae(const QString& vae) {
  store(QStringLiteral("models/lastVae"), vae, &StudioSettings::lastVaeChanged);
}

bool StudioSettings::apiEnabled() const { return settings_.value(QStringLiteral("api/enabled"), false).toBool(); }
void StudioSettings::setApiEnabled(bool enabled) { store(QStringLiteral("api/enabled"), enabled, &StudioSettings::apiChanged); }

int StudioSettings::apiPort() const { return settings_.value(QStringLiteral("api/port"), 7860).toInt(); }
void StudioSettings::setApiPort(int port) { store(QStringLiteral("api/port"), port, &StudioSettings::apiChanged); }

}  // namespace atelier::ui
