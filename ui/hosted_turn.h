#pragma once
// A job of the API server's (core/pipeline/pipeline_host.h) waiting its turn in the studio's
// queue. Whoever moves it on from Waiting decides its fate: the worker runs it (Running, then
// Ended), or the queue or its sender drops it (Dropped) and it never runs. Its sender waits for
// `done` and, once that is set, may be gone: cancel() reaches it only while it runs.
#include <exception>
#include <future>
#include <mutex>

#include "core/pipeline/pipeline_host.h"

namespace atelier::ui {

class HostedTurn {
 public:
  enum State { Waiting, Running, Ended, Dropped };

  explicit HostedTurn(HostedJob job) : job_(std::move(job)) {}

  const HostedJob& job() const { return job_; }
  std::future<void> outcome() { return done_.get_future(); }

  State state() {
    std::lock_guard lock(mutex_);
    return state_;
  }
  // Moves Waiting on to `next`; false when it had moved on already.
  bool claim(State next) {
    std::lock_guard lock(mutex_);
    if (state_ != Waiting) return false;
    state_ = next;
    return true;
  }
  // The worker's part, once claimed: runs the job with `pipelines`, its steps told to
  // `progress`, and hands over its outcome.
  void run(PipelineCache& pipelines, const std::function<void(const GenerationProgress&)>& progress) {
    std::exception_ptr error;
    try {
      job_.run(pipelines, progress);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      state_ = Ended;
    }
    error ? done_.set_exception(error) : done_.set_value();
  }
  // The studio's Cancel: passed on to the sender while the job runs.
  void cancel() {
    std::lock_guard lock(mutex_);
    if (state_ == Running && job_.cancel) job_.cancel();
  }

 private:
  HostedJob job_;
  std::mutex mutex_;  // guards state_
  State state_ = Waiting;
  std::promise<void> done_;
};

}  // namespace atelier::ui
