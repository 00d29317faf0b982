#pragma once
// Runs jobs on its own thread: owns the loaded Pipeline (kept between jobs, reloaded only when
// the model, the device or the memory mode changes), saves the images, and reports back through
// signals, which reach the UI thread queued. It never touches QML objects. Jobs hosted for the
// API server run on the same Pipeline.
#include <QImage>
#include <QObject>
#include <QStringList>

#include "core/gallery/model_hash_cache.h"
#include "core/pipeline/pipeline_host.h"
#include "ui/generation_job.h"

namespace atelier::ui {

class GenerationWorker : public QObject {
  Q_OBJECT

 public:
  explicit GenerationWorker(QObject* parent = nullptr);
  ~GenerationWorker() override;

  // Runs on the worker's thread; every outcome ends in exactly one of finished, failed, cancelled.
  void run(const GenerationJob& job);

 Q_SIGNALS:
  void started(int jobId);
  void status(int jobId, const QString& text);  // "Loading model…", "Saving…"
  // `step` of `steps` in batch `batch` (0-based) of `batches`; seconds since sampling began.
  void progressed(int jobId, int step, int steps, int batch, int batches, double elapsedSeconds);
  void previewReady(int jobId, const QImage& preview);
  // `image` is the first of `paths`; `seed` the seed it was made with; `notes` what the user
  // should know about the run (GeneratedImage::notes).
  void finished(int jobId, const QStringList& paths, const QImage& image, qint64 seed, const QStringList& notes);
  void failed(int jobId, const QString& message);
  void cancelled(int jobId);
  // A hosted job ran (its sender has the outcome), or was dropped unstarted.
  void hostedEnded(int jobId);

 private:
  // The Upscale action's part of run(): the image written into the output folder, finished emitted.
  void upscale(const GenerationJob& job);
  // The API server's job of run(), on the studio's pipeline; hostedEnded emitted.
  void run_hosted(const GenerationJob& job);

  PipelineCache pipelines_;
  int job_id_ = 0;  // the job running
  ModelHashCache hashes_;  // hashing a multi-GB checkpoint takes seconds: once per file
};

}  // namespace atelier::ui
