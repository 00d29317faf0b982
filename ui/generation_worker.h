#pragma once
// Runs jobs on its own thread: owns the loaded Pipeline (kept between jobs, reloaded only when
// the model or device changes), saves the images, and reports back through signals, which
// reach the UI thread queued. It never touches QML objects.
#include <QImage>
#include <QObject>
#include <QStringList>

#include <memory>

#include "core/gallery/model_hash_cache.h"
#include "ui/generation_job.h"

namespace atelier {
class Pipeline;
enum class MemoryMode;
}

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

 private:
  // The Upscale action's part of run(): the image written into the output folder, finished emitted.
  void upscale(const GenerationJob& job);
  // Keeps the loaded model unless the model, the device or the memory mode changed.
  void load_model(int job_id, const QString& model, const QString& device, MemoryMode memory);

  std::unique_ptr<Pipeline> pipeline_;
  QString loaded_model_;
  QString loaded_device_;
  MemoryMode loaded_memory_{};
  QString model_hash_;
  ModelHashCache hashes_;  // hashing a multi-GB checkpoint takes seconds: once per file
};

}  // namespace atelier::ui
