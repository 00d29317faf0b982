#pragma once
// The studio's preferences, persisted with QSettings as the user changes them.
#include <QObject>
#include <QSettings>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

namespace atelier::ui {

class StudioSettings : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the settings")
  Q_PROPERTY(QStringList modelFolders READ modelFolders WRITE setModelFolders NOTIFY modelFoldersChanged)
  Q_PROPERTY(QString outputFolder READ outputFolder WRITE setOutputFolder NOTIFY outputFolderChanged)
  Q_PROPERTY(QString device READ device WRITE setDevice NOTIFY deviceChanged)
  Q_PROPERTY(int threads READ threads WRITE setThreads NOTIFY threadsChanged)
  Q_PROPERTY(QString vaeTiling READ vaeTiling WRITE setVaeTiling NOTIFY vaeTilingChanged)
  Q_PROPERTY(bool lowMemory READ lowMemory WRITE setLowMemory NOTIFY lowMemoryChanged)
  Q_PROPERTY(bool livePreview READ livePreview WRITE setLivePreview NOTIFY livePreviewChanged)
  Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY themeChanged)
  Q_PROPERTY(QString lastModel READ lastModel WRITE setLastModel NOTIFY lastModelChanged)
  Q_PROPERTY(QString lastVae READ lastVae WRITE setLastVae NOTIFY lastVaeChanged)
  Q_PROPERTY(bool apiEnabled READ apiEnabled WRITE setApiEnabled NOTIFY apiChanged)
  Q_PROPERTY(int apiPort READ apiPort WRITE setApiPort NOTIFY apiChanged)

 public:
  explicit StudioSettings(QObject* parent = nullptr);

  // Where a fresh install looks for models and writes images.
  static QString defaultModelFolder();
  static QString defaultOutputFolder();

  // The model library's roots besides Atelier's own folder, shared with atelier-cli through
  // core/library/library_settings.h's file (written whenever they change).
  QStringList modelFolders() const;
  void setModelFolders(const QStringList& folders);
  // Writes modelFolders() to the file atelier-cli reads, when it says otherwise; false on failure.
  bool shareModelFolders() const;
  QString outputFolder() const;
  void setOutputFolder(const QString& folder);
  QString device() const;  // "auto", "cpu", "cuda", "mps"
  void setDevice(const QString& device);
  int threads() const;  // 0: every hardware thread
  void setThreads(int threads);
  QString vaeTiling() const;  // "auto", "on", "off"
  void setVaeTiling(const QString& tiling);
  bool lowMemory() const;  // MemoryMode::Low: slower, for machines short of memory
  void setLowMemory(bool enabled);
  bool livePreview() const;
  void setLivePreview(bool enabled);
  QString theme() const;  // "dark", "light"
  void setTheme(const QString& theme);
  QString lastModel() const;  // the model picked last, restored at start
  void setLastModel(const QString& path);
  QString lastVae() const;  // the VAE picked last (GenerationParams::vae: "auto", "none" or a file name)
  void setLastVae(const QString& vae);
  // A1111's HTTP API served by the studio on this machine (127.0.0.1), on the studio's queue and model.
  bool apiEnabled() const;
  void setApiEnabled(bool enabled);
  int apiPort() const;  // 7860, as A1111's
  void setApiPort(int port);

 Q_SIGNALS:
  void modelFoldersChanged();
  void outputFolderChanged();
  void deviceChanged();
  void threadsChanged();
  void vaeTilingChanged();
  void lowMemoryChanged();
  void livePreviewChanged();
  void themeChanged();
  void lastModelChanged();
  void lastVaeChanged();
  void apiChanged();

 private:
  // Stores `value` under `key` and emits `changed` when it differs from what is stored.
  void store(const QString& key, const QVariant& value, void (StudioSettings::*changed)());

  QSettings settings_;
};

}  // namespace atelier::ui
