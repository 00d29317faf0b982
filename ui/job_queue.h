#pragma once
// The visible queue: the running job first, then the pending ones, which can be removed or
// reordered while the worker thread runs. Jobs go to the worker one at a time through queued
// calls; the UI thread never waits on it (only the destructor does, after cancelling).
// It is also a PipelineHost: the API server's jobs join it from the server's thread and run on
// the worker's loaded model in their turn.
#include <QAbstractListModel>
#include <QImage>
#include <QThread>
#include <QtQml/qqmlregistration.h>

#include <deque>

#include "core/pipeline/pipeline_host.h"
#include "ui/generation_job.h"

namespace atelier::ui {

class GenerationWorker;

class JobQueue : public QAbstractListModel, public PipelineHost {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the queue")
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)

 public:
  enum Role { JobIdRole = Qt::UserRole + 1, PromptRole, SummaryRole, RunningRole };

  explicit JobQueue(QObject* parent = nullptr);
  ~JobQueue() override;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  bool busy() const { return running_; }
  int enqueue(GenerationJob job);  // returns the job's id
  Q_INVOKABLE void remove(int jobId);          // pending jobs only
  Q_INVOKABLE void move(int from, int to);     // rows of pending jobs only
  Q_INVOKABLE void cancelRunning();

  // PipelineHost, from any thread but the UI's: queues `job`, waits for its turn and its end.
  void run(HostedJob job) override;

 Q_SIGNALS:
  void countChanged();
  void busyChanged();
  void jobStarted(int jobId);
  void jobStatus(int jobId, const QString& text);
  // `step` of `steps` in batch `batch` (0-based) of `batches`; seconds since sampling began.
  void progressed(int jobId, int step, int steps, int batch, int batches, double elapsedSeconds);
  void previewReady(int jobId, const QImage& preview);
  void jobFinished(int jobId, const QStringList& paths, const QImage& image, qint64 seed, const QStringList& notes);
  void jobFailed(int jobId, const QString& message);
  void jobCancelled(int jobId);
  void hostedJobEnded(int jobId);  // an API job ran (its client has the outcome) or was dropped

 private:
  void dispatch_next();
  void on_job_ended(int job_id);
  int first_pending_row() const { return running_ ? 1 : 0; }

  std::deque<GenerationJob> jobs_;  // jobs_.front() is the running one while running_
  bool running_ = false;
  int next_id_ = 1;
  QThread thread_;
  GenerationWorker* worker_;  // lives on thread_, deleted when it finishes
};

}  // namespace atelier::ui
