#include "ui/model_downloads.h"

#include <QPointer>
#include <QVariantMap>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/io/system_memory.h"
#include "core/library/library_roots.h"
#include "core/library/library_settings.h"
#include "core/library/starter_models.h"
#include "ui/qt_text.h"

namespace atelier::ui {
namespace {

constexpr double kSdxlRamBytes = 16e9;
// The worker hands at most this many progress reports a second to the UI thread.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

QString eta_text(double seconds) {
  const auto total = static_cast<long long>(std::ceil(seconds));
  if (total < 60) return ModelDownload::tr("%1 s left").arg(total);
  if (total < 3600) return ModelDownload::tr("%1 min left").arg((total + 59) / 60);
  return ModelDownload::tr("%1 h %2 min left").arg(total / 3600).arg(total / 60 % 60);
}

QVariantList starter_rows() {
  QVariantList rows;
  for (const auto& model : starter_models()) {
    rows.push_back(QVariantMap{
        {"name", qstring(model.name)},
        {"title", qstring(model.title)},
        {"licence", qstring(model.licence)},
        {"sizeText", model.size ? qstring(format_bytes(model.size)) : ModelDownloads::tr("size unknown")},
        {"family", model.family == ModelFamily::Unknown ? QString() : qstring(family_name(model.family))},
        {"kind", qstring(kind_name(model.kind))},
        {"url", qstring(starter_model_url(model))}});
  }
  return rows;
}

}  // namespace

ModelDownload::ModelDownload(const QString& title, const QString& url, QObject* parent)
    : QObject(parent), title_(title), url_(url) {}

void ModelDownload::set_progress(const DownloadProgress& progress) {
  if (state_ != Running) return;
  bytes_text_ = qstring(format_bytes(progress.done));
  if (progress.total) bytes_text_ += QStringLiteral(" / ") + qstring(format_bytes(*progress.total));
  fraction_ = progress.total && *progress.total ? static_cast<double>(progress.done) / static_cast<double>(*progress.total) : -1;
  speed_text_ = qstring(format_bytes(static_cast<std::uint64_t>(progress.bytes_per_second))) + QStringLiteral("/s");
  eta_text_ = progress.eta_seconds ? eta_text(*progress.eta_seconds) : QString();
  Q_EMIT progressChanged();
}

void ModelDownload::finish(State state, const QString& error_or_path) {
  state_ = state;
  if (state == Done) {
    path_ = error_or_path;
    fraction_ = 1;
    eta_text_.clear();
    Q_EMIT progressChanged();
  } else {
    error_ = error_or_path;
  }
  Q_EMIT stateChanged();
}

ModelDownloads::ModelDownloads(QObject* parent, std::filesystem::path library_folder)
    : QObject(parent), library_folder_(std::move(library_folder)), starters_(starter_rows()) {
  const auto ram = ram_usage();
  const bool sdxl = ram && ram->total >= kSdxlRamBytes;
  suggested_ = sdxl ? QStringLiteral("sdxl-base") : QStringLiteral("sd15");
  const QString ram_text = ram ? qstring(format_bytes(static_cast<std::uint64_t>(ram->total))) : QString();
  suggestion_reason_ = !ram ? tr("The machine's memory is unknown: SD 1.5 runs almost everywhere.")
                       : sdxl ? tr("This machine has %1 of RAM: enough for SDXL (16 GB or more).").arg(ram_text)
                              : tr("This machine has %1 of RAM: SD 1.5 fits, SDXL wants 16 GB or more.").arg(ram_text);
}

ModelDownloads::~ModelDownloads() {
  for (auto* download : findChildren<ModelDownload*>()) download->cancel();
  pool_.waitForDone();
}

ModelDownload* ModelDownloads::downloadStarter(const QString& name) {
  const auto model = find_starter_model(name.toStdString());
  if (!model) {
    Q_EMIT errorOccurred(tr("There is no starter model named '%1'.").arg(name));
    return nullptr;
  }
  return start(qstring(model->title),
               {.url = starter_model_url(*model),
                .file_name = std::filesystem::path(model->file).filename().string(),
                .sha256 = model->sha256},
               model->kind);
}

ModelDownload* ModelDownloads::downloadUrl(const QString& url, const QString& kind) {
  const auto parsed = parse_model_kind(kind.toStdString());
  if (!parsed) {
    Q_EMIT errorOccurred(tr("'%1' is not a kind of model (checkpoint, lora, lycoris, embedding, vae, upscaler, taesd).").arg(kind));
    return nullptr;
  }
  return start(url, {.url = url.toStdString()}, *parsed);
}

ModelDownload* ModelDownloads::start(const QString& title, DownloadRequest request, ModelKind kind) {
  request.destination = atelier_kind_folder(library_folder_.empty() ? default_library_folder() : library_folder_, kind);
  auto* download = new ModelDownload(title, qstring(request.url), this);
  current_ = download;
  Q_EMIT currentChanged();

  const QPointer<ModelDownload> target(download);
  const QPointer<ModelDownloads> self(this);
  const auto cancelled = download->cancel_flag();
  const auto finish = [target, self](ModelDownload::State state, const QString& text) {
    QMetaObject::invokeMethod(target, [target, self, state, text] {
      target->finish(state, text);
      if (state == ModelDownload::Done && self) Q_EMIT self->modelDownloaded(text);
    }, Qt::QueuedConnection);
  };
  (void)QtConcurrent::run(&pool_, [request, target, cancelled, finish] {
    auto last_report = std::chrono::steady_clock::time_point();
    const auto on_progress = [&](const DownloadProgress& progress) {
      const auto now = std::chrono::steady_clock::now();
      const bool complete = progress.total && progress.done == *progress.total;
      if (complete || now - last_report >= kProgressInterval) {
        last_report = now;
        QMetaObject::invokeMethod(target, [target, progress] { target->set_progress(progress); }, Qt::QueuedConnection);
      }
      return !cancelled->load();
    };
    try {
      finish(ModelDownload::Done, path_qstring(download_model(request, on_progress)));
    } catch (const Cancelled&) {
      finish(ModelDownload::Cancelled, ModelDownload::tr("Cancelled."));
    } catch (const std::exception& e) {
      finish(ModelDownload::Failed, QString::fromUtf8(e.what()));
    }
  });
  return download;
}

}  // namespace atelier::ui
