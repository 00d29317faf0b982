#pragma once
// One generation at a time, in the order requests came (A1111's queue_lock). A worker thread hands
// each request to a PipelineHost, which keeps one model loaded and loads another only when a
// request names another checkpoint: a host of the runner's own (atelier-cli serve) or the
// studio's queue, where the requests wait their turn beside the studio's jobs.
// progress(), interrupt() and skip() answer at once from any thread while a generation runs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/gallery/params_json.h"
#include "core/pipeline/pipeline.h"
#include "core/pipeline/pipeline_host.h"
#include "server/generation_request.h"
#include "server/model_catalog.h"

namespace atelier::server {

struct GenerationOutcome {
  std::vector<GeneratedImage> images;  // those finished: fewer than asked when interrupted or skipped
  RunInfo run;
  CheckpointItem checkpoint;  // the model that ran, with its hash
  bool inpainting_model = false;  // its UNet takes the mask and masked image (9 channels)
  std::string job_timestamp;  // A1111's "%Y%m%d%H%M%S" of the job's start
  std::shared_ptr<TempFolder> files;  // the init image stays readable (its hash) until the answer is written
};

// A1111's shared.state as /sdapi/v1/progress reports it.
struct ProgressSnapshot {
  bool busy = false;
  std::string job;             // "" when idle, else "txt2img" / "img2img"
  int job_count = 0;           // the request's batches (n_iter)
  int job_no = 0;              // the batch being sampled
  int sampling_step = 0;
  int sampling_steps = 0;
  bool skipped = false;
  bool interrupted = false;
  std::string job_timestamp;
  double elapsed_seconds = 0;  // since the job started
  std::optional<std::string> current_image;  // the live preview as base64 PNG
  std::optional<std::string> textinfo;
  int queued = 0;              // requests waiting behind this one
};

class JobRunner {
 public:
  JobRunner(ModelCatalog& catalog, PipelineHost& host, DeviceChoice device = DeviceChoice::Auto,
            MemoryMode memory = MemoryMode::Standard);
  ~JobRunner();  // shutdown(), then waits for the worker
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Queues a request; the future holds its images or the error it ended with. ApiError 503 when
  // kMaxQueued requests already wait.
  std::future<GenerationOutcome> submit(GenerationRequest request);
  // Queues other work that must not run beside a generation (an upscale), shown by progress as a
  // job of `kind` ("extras"); the future holds its result or its error. ApiError 503 as submit().
  template <class Result>
  std::future<Result> submit_task(std::string kind, std::function<Result()> work, int batches = 1);

  ProgressSnapshot progress(bool with_image);
  void interrupt();  // stops the running request; the images of its finished batches are kept
  void skip();       // stops the running batch; the request goes on with its next one
  // Interrupts the running request and fails the waiting ones (503); later submits fail too.
  void shutdown();

  // The checkpoint the worker holds loaded, once one is.
  std::optional<CheckpointItem> loaded_checkpoint();

  static constexpr std::size_t kMaxQueued = 32;

 private:
  struct Job {
    std::string kind;  // progress's job
    int batches = 1;
    std::string title, prompt;                     // as the host's queue lists it
    HostedJob::Run run;                            // fulfils the caller's future
    std::function<void(std::exception_ptr)> fail;  // when the server stops before it runs
  };
  // Queues `job` to fulfil the future with what `work` returns or throws.
  template <class Result>
  std::future<Result> queue_job(Job job, std::function<Result(PipelineCache&, const ProgressCallback&)> work);
  void enqueue(Job job);
  void work();
  bool stopping();
  GenerationOutcome run(GenerationRequest& request, PipelineCache& pipelines, const ProgressCallback& host_progress);
  Pipeline& pipeline_for(const GenerationParams& params, PipelineCache& pipelines);
  void on_progress(int batch, const GenerationProgress& progress);

  ModelCatalog& catalog_;
  PipelineHost& host_;
  DeviceChoice device_;
  MemoryMode memory_;
  ModelHashCache hashes_;  // the VAEs' hashes

  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  ProgressSnapshot state_;
  std::chrono::steady_clock::time_point job_started_;
  Image8 preview_;
  int preview_version_ = 0, encoded_version_ = -1;
  std::string encoded_preview_;
  std::optional<CheckpointItem> loaded_;

  std::atomic<bool> cancel_{false};
  std::atomic<bool> skip_requested_{false};
  std::thread worker_;  // last: starts once the rest is built
};

template <class Result>
std::future<Result> JobRunner::submit_task(std::string kind, std::function<Result()> work, int batches) {
  std::string title = "API " + kind;
  return queue_job<Result>({std::move(kind), batches, std::move(title), "", {}, {}},
                           [work = std::move(work)](PipelineCache&, const ProgressCallback&) { return work(); });
}

template <class Result>
std::future<Result> JobRunner::queue_job(Job job, std::function<Result(PipelineCache&, const ProgressCallback&)> work) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  job.run = [promise, work = std::move(work)](PipelineCache& pipelines, const ProgressCallback& progress) {
    try {
      promise->set_value(work(pipelines, progress));
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  };
  job.fail = [promise](std::exception_ptr error) { promise->set_exception(std::move(error)); };
  enqueue(std::move(job));
  return future;
}

}  // namespace atelier::server
