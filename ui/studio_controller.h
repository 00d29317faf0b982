#pragma once
// What the views talk to: it turns the form into queued jobs, follows the running one
// (progress, it/s, ETA, live preview, result), and wires settings, models and gallery together.
#include <QObject>
#include <QStringList>
#include <QUrl>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "ui/addon_catalog.h"
#include "ui/gallery_model.h"
#include "ui/job_queue.h"
#include "ui/model_catalog.h"
#include "ui/model_downloads.h"
#include "ui/studio_images.h"
#include "ui/studio_settings.h"

namespace atelier::ui {

class StudioController : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(StudioSettings* settings READ settings CONSTANT)
  Q_PROPERTY(ModelCatalog* models READ models CONSTANT)
  Q_PROPERTY(AddonCatalog* addons READ addons CONSTANT)
  Q_PROPERTY(ModelDownloads* downloads READ downloads CONSTANT)
  Q_PROPERTY(JobQueue* queue READ queue CONSTANT)
  Q_PROPERTY(GalleryModel* gallery READ gallery CONSTANT)
  Q_PROPERTY(QStringList samplers READ samplers CONSTANT)
  Q_PROPERTY(QStringList schedules READ schedules CONSTANT)
  Q_PROPERTY(QStringList resizeModes READ resizeModes CONSTANT)
  Q_PROPERTY(QStringList noiseSources READ noiseSources CONSTANT)
  Q_PROPERTY(QStringList inpaintAreas READ inpaintAreas CONSTANT)
  Q_PROPERTY(QStringList maskedContents READ maskedContents CONSTANT)
  // A1111's Hires upscaler choices that are no file (the library's follow: models.upscalers).
  Q_PROPERTY(QStringList hiresUpscalers READ hiresUpscalers CONSTANT)
  Q_PROPERTY(QStringList devices READ devices CONSTANT)
  Q_PROPERTY(QStringList supportedFormats READ supportedFormats CONSTANT)
  Q_PROPERTY(QVariantMap defaults READ defaults CONSTANT)
  Q_PROPERTY(int step READ step NOTIFY progressChanged)
  Q_PROPERTY(int steps READ steps NOTIFY progressChanged)
  Q_PROPERTY(int batch READ batch NOTIFY progressChanged)
  Q_PROPERTY(int batches READ batches NOTIFY progressChanged)
  Q_PROPERTY(double itsPerSecond READ itsPerSecond NOTIFY progressChanged)
  Q_PROPERTY(double etaSeconds READ etaSeconds NOTIFY progressChanged)
  Q_PROPERTY(QString status READ status NOTIFY statusChanged)
  Q_PROPERTY(QUrl previewUrl READ previewUrl NOTIFY previewChanged)
  Q_PROPERTY(QUrl resultUrl READ resultUrl NOTIFY resultChanged)
  Q_PROPERTY(QStringList lastResultPaths READ lastResultPaths NOTIFY resultChanged)
  Q_PROPERTY(qint64 lastSeed READ lastSeed NOTIFY resultChanged)
  // What the API switch (settings.apiEnabled) reports: the address served, or why not.
  Q_PROPERTY(QString apiStatus READ apiStatus NOTIFY apiStatusChanged)

 public:
  explicit StudioController(QObject* parent = nullptr);

  StudioSettings* settings() { return &settings_; }
  ModelCatalog* models() { return &models_; }
  AddonCatalog* addons() { return &addons_; }
  ModelDownloads* downloads() { return &downloads_; }
  JobQueue* queue() { return &queue_; }
  GalleryModel* gallery() { return &gallery_; }
  QStringList samplers() const { return samplers_; }
  QStringList schedules() const { return schedules_; }
  QStringList resizeModes() const { return resize_modes_; }
  QStringList noiseSources() const { return noise_sources_; }
  QStringList inpaintAreas() const { return inpaint_areas_; }
  QStringList maskedContents() const { return masked_contents_; }
  QStringList hiresUpscalers() const { return hires_upscalers_; }
  QStringList devices() const { return devices_; }
  QStringList supportedFormats() const;
  QVariantMap defaults() const { return defaults_; }
  int step() const { return step_; }
  int steps() const { return steps_; }
  int batch() const { return batch_; }
  int batches() const { return batches_; }
  double itsPerSecond() const { return its_per_second_; }
  double etaSeconds() const { return eta_seconds_; }
  QString status() const { return status_; }
  QUrl previewUrl() const;
  QUrl resultUrl() const;
  QStringList lastResultPaths() const { return last_result_paths_; }
  qint64 lastSeed() const { return last_seed_; }
  QString apiStatus() const { return api_status_; }
  void setApiStatus(const QString& status);

  // The provider QML's Image needs for previewUrl and resultUrl; the engine takes ownership.
  QQuickImageProvider* createImageProvider() const;
  // A model outside the models folders (given on the command line), listed with them.
  void addModelFile(const QString& path);

  // Queues the form's parameters with the settings' device, threads and tiling; returns the
  // job's id, or -1 after reporting errorOccurred when they cannot run.
  Q_INVOKABLE int generate(const QVariantMap& params);
  // Queues the gallery's Upscale action on the image at `path` (A1111's extras: `upscaler` one of
  // upscalerNames, `scale` times); the copy joins the gallery. Returns the job's id, or -1 after
  // errorOccurred when the request cannot run.
  Q_INVOKABLE int upscale(const QString& path, const QString& upscaler, double scale);
  // What the Upscale action offers: Lanczos, Nearest, then the library's upscaler models.
  Q_INVOKABLE QStringList upscalerNames() const;
  Q_INVOKABLE void cancel() { queue_.cancelRunning(); }
  Q_INVOKABLE void rescanModels();
  // A gallery row's parameters with `model` and `refiner` set to the listed files its infotext
  // names, if any (`refiner` "" when it names none or none is listed).
  Q_INVOKABLE QVariantMap recallParameters(int galleryRow) const;
  // What the gallery's parameters panel shows for a file (image_details.h), with `model` set
  // in its parameters as recallParameters does.
  Q_INVOKABLE QVariantMap imageDetails(const QString& path) const;
  Q_INVOKABLE void copyText(const QString& text) const;
  // The clipboard's image as a file to use as an init image: a copied file's path, or a pasted
  // bitmap saved as PNG in the cache folder. Empty, after errorOccurred, when it holds neither.
  Q_INVOKABLE QString pasteImage();
  // A new file in the cache folder for the mask editor's mask of a generation (its folder made).
  Q_INVOKABLE QString newMaskFile() const;
  Q_INVOKABLE void openFolder(const QString& folder) const;  // creates it first if needed

 Q_SIGNALS:
  void progressChanged();
  void statusChanged();
  void previewChanged();
  void resultChanged();
  void errorOccurred(const QString& message);
  void jobFinished(int jobId, const QStringList& paths);
  void apiStatusChanged();

 private:
  void set_status(const QString& status);
  // `model` and `refiner`: the listed files of modelName and refinerName.
  QVariantMap with_listed_model(QVariantMap params) const;
  void on_progress(int step, int steps, int batch, int batches, double elapsed_seconds);

  StudioSettings settings_;
  ModelCatalog models_;
  AddonCatalog addons_;  // from models_' scans
  ModelDownloads downloads_;  // into Atelier's folder: each finished one rescans models_
  JobQueue queue_;
  GalleryModel gallery_;
  std::shared_ptr<ImageStore> images_ = std::make_shared<ImageStore>();
  QStringList extra_models_;
  const QStringList samplers_, schedules_, resize_modes_, noise_sources_, inpaint_areas_, masked_contents_,
      hires_upscalers_, devices_;
  const QVariantMap defaults_;

  int step_ = 0, steps_ = 0, batch_ = 0, batches_ = 0;
  double its_per_second_ = 0, eta_seconds_ = 0;
  QString status_;
  int preview_revision_ = 0, result_revision_ = 0;
  QStringList last_result_paths_;
  qint64 last_seed_ = -1;
  QString api_status_;
};

}  // namespace atelier::ui
