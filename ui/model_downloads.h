#pragma once
// The studio's model manager: the starter list, and downloads (core/library/model_download.h) run
// on a worker thread into Atelier's library folder of their kind, each followed by a ModelDownload
// whose progress, state and error reach QML through queued signals.
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/library/model_download.h"
#include "core/library/model_kind.h"

namespace atelier::ui {

class ModelDownload : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("ModelDownloads starts downloads")
  Q_PROPERTY(QString title READ title CONSTANT)
  Q_PROPERTY(QString url READ url CONSTANT)
  Q_PROPERTY(State state READ state NOTIFY stateChanged)
  Q_PROPERTY(QString error READ error NOTIFY stateChanged)
  Q_PROPERTY(QString path READ path NOTIFY stateChanged)
  Q_PROPERTY(QString bytesText READ bytesText NOTIFY progressChanged)
  Q_PROPERTY(QString speedText READ speedText NOTIFY progressChanged)
  Q_PROPERTY(QString etaText READ etaText NOTIFY progressChanged)
  Q_PROPERTY(double fraction READ fraction NOTIFY progressChanged)  // -1 while the size is unknown

 public:
  enum State { Running, Done, Failed, Cancelled };
  Q_ENUM(State)

  ModelDownload(const QString& title, const QString& url, QObject* parent = nullptr);

  QString title() const { return title_; }
  QString url() const { return url_; }
  State state() const { return state_; }
  QString error() const { return error_; }
  QString path() const { return path_; }
  QString bytesText() const { return bytes_text_; }
  QString speedText() const { return speed_text_; }
  QString etaText() const { return eta_text_; }
  double fraction() const { return fraction_; }

  // Asks the worker to stop; the state becomes Cancelled once it has removed the .part.
  Q_INVOKABLE void cancel() { cancel_requested_->store(true); }

  // Called on the UI thread, through queued calls from the worker.
  void set_progress(const DownloadProgress& progress);
  void finish(State state, const QString& error_or_path);
  std::shared_ptr<std::atomic<bool>> cancel_flag() const { return cancel_requested_; }

 Q_SIGNALS:
  void progressChanged();
  void stateChanged();

 private:
  const QString title_, url_;
  State state_ = Running;
  QString error_, path_;
  QString bytes_text_, speed_text_, eta_text_;
  double fraction_ = -1;
  std::shared_ptr<std::atomic<bool>> cancel_requested_ = std::make_shared<std::atomic<bool>>(false);
};

class ModelDownloads : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the model downloads")
  // [{name, title, licence, sizeText, family, kind, url}] of core/library/starter_models.h.
  Q_PROPERTY(QVariantList starters READ starters CONSTANT)
  Q_PROPERTY(QString suggestedStarter READ suggestedStarter CONSTANT)
  Q_PROPERTY(QString suggestionReason READ suggestionReason CONSTANT)
  Q_PROPERTY(ModelDownload* current READ current NOTIFY currentChanged)

 public:
  // Downloads go to `library_folder`'s kind folders (atelier_kind_folder); empty: Atelier's own
  // folder (default_library_folder()), read when each download starts.
  explicit ModelDownloads(QObject* parent = nullptr, std::filesystem::path library_folder = {});
  ~ModelDownloads() override;  // cancels the running downloads and waits for their workers

  QVariantList starters() const { return starters_; }
  // "sdxl-base" on a machine with at least 16 GB of RAM (SDXL's UNet alone is 5 GB in fp16, and
  // the text encoders and VAE come on top), else "sd15"; RAM unknown: "sd15".
  QString suggestedStarter() const { return suggested_; }
  QString suggestionReason() const { return suggestion_reason_; }
  ModelDownload* current() const { return current_; }

  // Starts downloading the starter named `name` (verified against its sha256); null, after
  // errorOccurred, when there is none of that name.
  Q_INVOKABLE atelier::ui::ModelDownload* downloadStarter(const QString& name);
  // Starts downloading any direct link (the model sites' download links) as a model of `kind`
  // ("checkpoint", "lora" ... as model_kind.h parses them); null after errorOccurred when the kind is unknown.
  Q_INVOKABLE atelier::ui::ModelDownload* downloadUrl(const QString& url, const QString& kind = QStringLiteral("checkpoint"));

 Q_SIGNALS:
  void currentChanged();
  // A download finished and its file is in the library.
  void modelDownloaded(const QString& path);
  void errorOccurred(const QString& message);

 private:
  ModelDownload* start(const QString& title, DownloadRequest request, ModelKind kind);

  std::filesystem::path library_folder_;
  QVariantList starters_;
  QString suggested_, suggestion_reason_;
  ModelDownload* current_ = nullptr;
  QThreadPool pool_;
};

}  // namespace atelier::ui
