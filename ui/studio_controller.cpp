#include "ui/studio_controller.h"

#include <QClipboard>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QMimeData>
#include <QStandardPaths>

#include "core/pipeline/generation_params.h"
#include "ui/engine_choices.h"
#include "ui/image_details.h"
#include "ui/params_map.h"

namespace atelier::ui {
namespace {

// A PNG path named by the time in `subfolder` of the cache folder, which is created.
QString new_cache_png(const QString& subfolder) {
  const QString folder = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + u'/' + subfolder;
  QDir().mkpath(folder);
  return folder + QStringLiteral("/%1.png").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")));
}

}  // namespace

StudioController::StudioController(QObject* parent)
    : QObject(parent),
      samplers_(sampler_names()),
      schedules_(schedule_names()),
      resize_modes_(resize_mode_names()),
      noise_sources_(noise_source_names()),
      inpaint_areas_(inpaint_area_labels()),
      masked_contents_(masked_content_labels()),
      hires_upscalers_(hires_upscaler_names()),
      devices_(available_device_names()),
      defaults_(to_variant_map(GenerationParams{})) {
  connect(&settings_, &StudioSettings::modelFoldersChanged, this, &StudioController::rescanModels);
  connect(&models_, &ModelCatalog::scanFinished, this, [this] { addons_.refresh(models_.library()); });
  connect(&gallery_, &GalleryModel::errorOccurred, this, &StudioController::errorOccurred);
  connect(&downloads_, &ModelDownloads::modelDownloaded, this, &StudioController::rescanModels);
  connect(&downloads_, &ModelDownloads::errorOccurred, this, &StudioController::errorOccurred);
  connect(&settings_, &StudioSettings::outputFolderChanged, this, [this] { gallery_.setFolder(settings_.outputFolder()); });

  connect(&queue_, &JobQueue::jobStarted, this, [this] {
    step_ = steps_ = batch_ = batches_ = 0;
    its_per_second_ = eta_seconds_ = 0;
    Q_EMIT progressChanged();
    set_status(tr("Starting…"));
  });
  connect(&queue_, &JobQueue::jobStatus, this, [this](int, const QString& text) { set_status(text); });
  connect(&queue_, &JobQueue::progressed, this,
          [this](int, int step, int steps, int batch, int batches, double elapsed) { on_progress(step, steps, batch, batches, elapsed); });
  connect(&queue_, &JobQueue::previewReady, this, [this](int, const QImage& preview) {
    images_->set(QStringLiteral("preview"), preview);
    ++preview_revision_;
    Q_EMIT previewChanged();
  });
  connect(&queue_, &JobQueue::jobFinished, this,
          [this](int id, const QStringList& paths, const QImage& image, qint64 seed, const QStringList& notes) {
    images_->set(QStringLiteral("result"), image);
    ++result_revision_;
    last_result_paths_ = paths;
    if (seed >= 0) last_seed_ = seed;  // an upscale has none
    Q_EMIT resultChanged();
    gallery_.rescan();  // indexes the new files (and anything else that changed) off the UI thread
    const QString saved = paths.size() == 1 ? tr("Saved %1").arg(paths.front()) : tr("Saved %1 images").arg(paths.size());
    set_status((QStringList{saved} + notes).join(QStringLiteral(" · ")));
    Q_EMIT jobFinished(id, paths);
  });
  connect(&queue_, &JobQueue::jobFailed, this, [this](int, const QString& message) {
    set_status(tr("Failed"));
    Q_EMIT errorOccurred(message);
  });
  connect(&queue_, &JobQueue::jobCancelled, this, [this] { set_status(tr("Cancelled")); });
  connect(&queue_, &JobQueue::hostedJobEnded, this, [this] {
    set_status(tr("Finished an API request"));
    gallery_.rescan();  // the images it saved, if it asked to
  });

  settings_.shareModelFolders();
  rescanModels();
  gallery_.setFolder(settings_.outputFolder());
}

QStringList StudioController::supportedFormats() const {
  return {tr("Stable Diffusion 1.x, 2.x and SDXL base and refiner checkpoints (.safetensors, single file as A1111 uses them)"),
          tr("fp16 or fp32 weights; an LDM .yaml beside the file is read when present")};
}

QUrl StudioController::previewUrl() const {
  return preview_revision_ ? QUrl(QStringLiteral("image://studio/preview/%1").arg(preview_revision_)) : QUrl();
}

QUrl StudioController::resultUrl() const {
  return result_revision_ ? QUrl(QStringLiteral("image://studio/result/%1").arg(result_revision_)) : QUrl();
}

QQuickImageProvider* StudioController::createImageProvider() const { return new StudioImageProvider(images_); }

void StudioController::addModelFile(const QString& path) {
  extra_models_ << path;
  rescanModels();
}

int StudioController::upscale(const QString& path, const QString& upscaler, double scale) {
  if (!QFileInfo(path).isFile() || !upscalerNames().contains(upscaler) || !(scale > 0)) {
    Q_EMIT errorOccurred(tr("Cannot upscale %1 ×%2 with “%3”").arg(path).arg(scale).arg(upscaler));
    return -1;
  }
  GenerationJob job;
  job.params[QStringLiteral("prompt")] = tr("Upscale %1").arg(QFileInfo(path).fileName());
  job.upscale = UpscaleRequest{path, upscaler, scale, settings_.threads()};
  job.output_folder = settings_.outputFolder();
  job.library = models_.library();
  return queue_.enqueue(std::move(job));
}

QStringList StudioController::upscalerNames() const {
  return extras_upscaler_names() + models_.upscalers();
}

void StudioController::rescanModels() { models_.scan(settings_.modelFolders(), extra_models_); }

int StudioController::generate(const QVariantMap& params) {
  GenerationJob job;
  job.params = params;
  job.params[QStringLiteral("device")] = settings_.device();
  job.params[QStringLiteral("threads")] = settings_.threads();
  job.params[QStringLiteral("vaeTiling")] = settings_.vaeTiling();
  job.output_folder = settings_.outputFolder();
  job.live_preview = settings_.livePreview();
  job.low_memory = settings_.lowMemory();
  job.library = models_.library();
  try {
    validate(to_generation_params(job.params));  // cheap checks now, so mistakes never wait in the queue
  } catch (const std::exception& error) {
    Q_EMIT errorOccurred(QString::fromUtf8(error.what()));
    return -1;
  }
  settings_.setLastModel(params.value(QStringLiteral("model")).toString());
  if (params.contains(QStringLiteral("vae"))) settings_.setLastVae(params.value(QStringLiteral("vae")).toString());
  return queue_.enqueue(std::move(job));
}

QVariantMap StudioController::recallParameters(int galleryRow) const {
  return with_listed_model(gallery_.parameters(galleryRow));
}

QVariantMap StudioController::imageDetails(const QString& path) const {
  auto details = read_image_details(path);
  const auto parameters = details.value(QStringLiteral("parameters")).toMap();
  if (!parameters.isEmpty()) details[QStringLiteral("parameters")] = with_listed_model(parameters);
  return details;
}

QVariantMap StudioController::with_listed_model(QVariantMap params) const {
  const auto listed = [&](const QString& name_key, const QString& path_key) {
    const int row = models_.indexOfName(params.value(name_key).toString());
    if (row >= 0) params[path_key] = models_.get(row).value(QStringLiteral("path"));
  };
  listed(QStringLiteral("modelName"), QStringLiteral("model"));
  params[QStringLiteral("refiner")] = QString();  // none, or not listed: the form says which
  listed(QStringLiteral("refinerName"), QStringLiteral("refiner"));
  return params;
}

void StudioController::copyText(const QString& text) const { QGuiApplication::clipboard()->setText(text); }

QString StudioController::pasteImage() {
  const QMimeData* data = QGuiApplication::clipboard()->mimeData();
  if (data && data->hasUrls() && data->urls().front().isLocalFile()) return data->urls().front().toLocalFile();
  if (data && data->hasImage()) {
    const QString path = new_cache_png(QStringLiteral("pasted"));
    if (qvariant_cast<QImage>(data->imageData()).save(path)) return path;
    Q_EMIT errorOccurred(tr("Could not save the pasted image to %1").arg(path));
    return {};
  }
  Q_EMIT errorOccurred(tr("The clipboard holds no image"));
  return {};
}

QString StudioController::newMaskFile() const { return new_cache_png(QStringLiteral("masks")); }

void StudioController::openFolder(const QString& folder) const {
  QDir().mkpath(folder);
  QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
}

void StudioController::setApiStatus(const QString& status) {
  if (status == api_status_) return;
  api_status_ = status;
  Q_EMIT apiStatusChanged();
}

void StudioController::set_status(const QString& status) {
  if (status == status_) return;
  status_ = status;
  Q_EMIT statusChanged();
}

void StudioController::on_progress(int step, int steps, int batch, int batches, double elapsed_seconds) {
  step_ = step;
  steps_ = steps;
  batch_ = batch;
  batches_ = batches;
  const int done = batch * steps + step;
  its_per_second_ = elapsed_seconds > 0 ? done / elapsed_seconds : 0;
  eta_seconds_ = its_per_second_ > 0 ? (batches * steps - done) / its_per_second_ : 0;
  Q_EMIT progressChanged();
  set_status(tr("Generating"));
}

}  // namespace atelier::ui
