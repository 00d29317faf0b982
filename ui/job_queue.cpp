#include "ui/job_queue.h"

#include <chrono>

#include "core/error.h"
#include "ui/generation_worker.h"
#include "ui/hosted_turn.h"

namespace atelier::ui {
namespace {

QString summary(const QVariantMap& p) {
  const auto count = p.value(QStringLiteral("batchCount"), 1).toInt() * p.value(QStringLiteral("batchSize"), 1).toInt();
  return QStringLiteral("%1×%2 · %3 steps · %4 · %5 image%6")
      .arg(p.value(QStringLiteral("width")).toInt())
      .arg(p.value(QStringLiteral("height")).toInt())
      .arg(p.value(QStringLiteral("steps")).toInt())
      .arg(p.value(QStringLiteral("sampler")).toString())
      .arg(count)
      .arg(count == 1 ? QString() : QStringLiteral("s"));
}

}  // namespace

JobQueue::JobQueue(QObject* parent) : QAbstractListModel(parent), worker_(new GenerationWorker) {
  thread_.setObjectName(QStringLiteral("generation"));
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &GenerationWorker::started, this, &JobQueue::jobStarted);
  connect(worker_, &GenerationWorker::status, this, &JobQueue::jobStatus);
  connect(worker_, &GenerationWorker::progressed, this, &JobQueue::progressed);
  connect(worker_, &GenerationWorker::previewReady, this, &JobQueue::previewReady);
  connect(worker_, &GenerationWorker::finished, this,
          [this](int id, const QStringList& paths, const QImage& image, qint64 seed, const QStringList& notes) {
    Q_EMIT jobFinished(id, paths, image, seed, notes);
    on_job_ended(id);
  });
  connect(worker_, &GenerationWorker::failed, this, [this](int id, const QString& message) {
    Q_EMIT jobFailed(id, message);
    on_job_ended(id);
  });
  connect(worker_, &GenerationWorker::cancelled, this, [this](int id) {
    Q_EMIT jobCancelled(id);
    on_job_ended(id);
  });
  connect(worker_, &GenerationWorker::hostedEnded, this, [this](int id) {
    Q_EMIT hostedJobEnded(id);
    on_job_ended(id);
  });
  thread_.start();
}

JobQueue::~JobQueue() {
  cancelRunning();
  for (auto& job : jobs_)  // their senders stop waiting
    if (job.hosted) job.hosted->claim(HostedTurn::Dropped);
  thread_.quit();
  thread_.wait();
}

int JobQueue::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(jobs_.size()); }

QVariant JobQueue::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& job = jobs_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case JobIdRole: return job.id;
    case Qt::DisplayRole:
    case PromptRole: return job.params.value(QStringLiteral("prompt"));
    case SummaryRole:
      if (job.hosted) return QString::fromStdString(job.hosted->job().title);
      return job.upscale ? tr("×%1 with %2").arg(job.upscale->scale).arg(job.upscale->upscaler) : summary(job.params);
    case RunningRole: return running_ && index.row() == 0;
    default: return {};
  }
}

QHash<int, QByteArray> JobQueue::roleNames() const {
  return {{JobIdRole, "jobId"}, {PromptRole, "prompt"}, {SummaryRole, "summary"}, {RunningRole, "running"}};
}

int JobQueue::enqueue(GenerationJob job) {
  job.id = next_id_++;
  const int row = rowCount();
  beginInsertRows({}, row, row);
  jobs_.push_back(std::move(job));
  endInsertRows();
  Q_EMIT countChanged();
  const int id = jobs_.back().id;
  dispatch_next();
  return id;
}

void JobQueue::remove(int jobId) {
  for (int row = first_pending_row(); row < rowCount(); ++row) {
    const auto& job = jobs_[static_cast<std::size_t>(row)];
    if (job.id != jobId) continue;
    if (job.hosted) job.hosted->claim(HostedTurn::Dropped);  // its client is answered that it did not run
    beginRemoveRows({}, row, row);
    jobs_.erase(jobs_.begin() + row);
    endRemoveRows();
    Q_EMIT countChanged();
    return;
  }
}

void JobQueue::move(int from, int to) {
  const int first = first_pending_row();
  if (from == to || from < first || to < first || from >= rowCount() || to >= rowCount()) return;
  // Qt's destination row counts before the move when moving down.
  beginMoveRows({}, from, from, {}, to > from ? to + 1 : to);
  auto job = std::move(jobs_[static_cast<std::size_t>(from)]);
  jobs_.erase(jobs_.begin() + from);
  jobs_.insert(jobs_.begin() + to, std::move(job));
  endMoveRows();
}

void JobQueue::cancelRunning() {
  if (!running_) return;
  const auto& job = jobs_.front();
  job.cancel->store(true);
  if (job.hosted) job.hosted->cancel();
}

void JobQueue::run(HostedJob hosted) {
  auto turn = std::make_shared<HostedTurn>(std::move(hosted));
  auto done = turn->outcome();
  QMetaObject::invokeMethod(this, [this, turn] {
    GenerationJob job;
    job.params = {{QStringLiteral("prompt"), QString::fromStdString(turn->job().prompt)}};
    job.hosted = turn;
    enqueue(std::move(job));
  }, Qt::QueuedConnection);
  // Polled, so that a sender giving up (the server stopping) is seen while studio jobs run.
  while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    const bool abandoned = turn->job().abandoned && turn->job().abandoned();
    if ((abandoned && turn->claim(HostedTurn::Dropped)) || turn->state() == HostedTurn::Dropped) throw Cancelled();
  }
  done.get();  // what the job threw
}

void JobQueue::dispatch_next() {
  if (running_ || jobs_.empty()) return;
  running_ = true;
  Q_EMIT busyChanged();
  Q_EMIT dataChanged(index(0), index(0), {RunningRole});
  QMetaObject::invokeMethod(worker_, [worker = worker_, job = jobs_.front()] { worker->run(job); }, Qt::QueuedConnection);
}

void JobQueue::on_job_ended(int job_id) {
  if (!running_ || jobs_.front().id != job_id) return;
  beginRemoveRows({}, 0, 0);
  jobs_.pop_front();
  running_ = false;
  endRemoveRows();
  Q_EMIT countChanged();
  Q_EMIT busyChanged();
  dispatch_next();
}

}  // namespace atelier::ui
