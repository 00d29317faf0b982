#include "server/job_runner.h"

#include <chrono>
#include <ctime>

#include "core/error.h"
#include "core/io/png.h"
#include "server/api_error.h"
#include "server/base64.h"

namespace atelier::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string timestamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &local);
  return text;
}

// The parameters of batch `n` of `params` run on their own: the seeds A1111 gives that batch.
GenerationParams batch_params(const GenerationParams& params, int n) {
  GenerationParams batch = params;
  batch.batch_count = 1;
  const int first = n * params.batch_size;
  if (params.variation_strength == 0) batch.seed = params.seed + first;
  batch.variation_seed = params.variation_seed + first;
  return batch;
}

}  // namespace

JobRunner::JobRunner(ModelCatalog& catalog, PipelineHost& host, DeviceChoice device, MemoryMode memory)
    : catalog_(catalog), host_(host), device_(device), memory_(memory), worker_([this] { work(); }) {}

JobRunner::~JobRunner() {
  shutdown();
  worker_.join();
}

void JobRunner::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    cancel_ = true;
  }
  wake_.notify_all();
}

std::future<GenerationOutcome> JobRunner::submit(GenerationRequest request) {
  const GenerationParams& params = request.params;
  std::string kind = request.kind == RequestKind::Txt2Img ? "txt2img" : "img2img";
  std::string title = "API " + kind + " · " + std::to_string(params.width) + "×" + std::to_string(params.height) + " · " +
                      std::to_string(params.steps) + " steps";
  Job job{kind, params.batch_count, std::move(title), params.prompt, {}, {}};
  return queue_job<GenerationOutcome>(std::move(job), [this, request = std::move(request)](
                                                          PipelineCache& pipelines, const ProgressCallback& progress) mutable {
    return run(request, pipelines, progress);
  });
}

bool JobRunner::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void JobRunner::enqueue(Job job) {
  std::lock_guard lock(mutex_);
  if (stopping_) throw ApiError(503, "the server is stopping");
  if (queue_.size() >= kMaxQueued)
    throw ApiError(503, "the queue is full (" + std::to_string(kMaxQueued) + " requests waiting); try again later");
  queue_.push_back(std::move(job));
  state_.queued = int(queue_.size()) - (state_.busy ? 0 : 1);
  wake_.notify_one();
}

void JobRunner::work() {
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      for (auto& job : queue_) job.fail(std::make_exception_ptr(ApiError(503, "the server is stopping")));
      queue_.clear();
      return;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    // A1111's state.begin(): the flags of an earlier job do not carry over.
    state_ = ProgressSnapshot{};
    state_.busy = true;
    state_.job = job.kind;
    state_.job_count = job.batches;
    state_.job_timestamp = timestamp_now();
    job_started_ = Clock::now();
    state_.queued = int(queue_.size());
    preview_ = {};
    cancel_ = false;
    skip_requested_ = false;
    lock.unlock();

    try {
      host_.run({job.title, job.prompt, job.run, [this] { interrupt(); }, [this] { return stopping(); }});
    } catch (const Cancelled&) {  // dropped unstarted: the server is stopping, or the studio's user took it off
      job.fail(std::make_exception_ptr(
          ApiError(503, stopping() ? "the server is stopping" : "the request was taken off the studio's queue before it ran")));
    } catch (...) {  // the host could not run it (job.run itself throws nothing)
      job.fail(std::current_exception());
    }
    lock.lock();
    const int queued = int(queue_.size());
    state_ = ProgressSnapshot{};
    state_.queued = queued;
  }
}

Pipeline& JobRunner::pipeline_for(const GenerationParams& params, PipelineCache& pipelines) {
  Pipeline& pipeline = pipelines.get(params.model, device_, memory_, [&] {
    std::lock_guard lock(mutex_);
    state_.textinfo = "Loading " + params.model.filename().string();
    loaded_.reset();
  });
  // A shared host's pipeline ran the studio's jobs, with the studio's folders, in between.
  pipeline.set_addon_folders(catalog_.addon_folders());
  // Requests name hires upscalers as /sdapi/v1/upscalers lists them: names, never paths.
  pipeline.set_upscaler_finder([this](ModelKind, std::string_view name) { return catalog_.find_upscaler(name); });
  if (const auto loaded = loaded_checkpoint(); !loaded || loaded->entry.path != params.model) {
    const auto item = catalog_.hashed(params.model);
    std::lock_guard lock(mutex_);
    state_.textinfo.reset();
    loaded_ = item;
  }
  return pipeline;
}

GenerationOutcome JobRunner::run(GenerationRequest& request, PipelineCache& pipelines, const ProgressCallback& host_progress) {
  GenerationParams& params = request.params;
  Pipeline& pipeline = pipeline_for(params, pipelines);
  GenerationOutcome outcome;
  outcome.checkpoint = *loaded_checkpoint();
  outcome.files = request.files;
  outcome.inpainting_model = pipeline.model().info.inpainting;
  outcome.job_timestamp = progress(false).job_timestamp;
  params.model_hash = outcome.checkpoint.hash.value_or("");
  if (params.refiner) params.refiner_hash = catalog_.hashed(*params.refiner).hash.value_or("");
  const auto vae = pipeline.vae_for(params);
  params.vae_hash = vae ? hashes_.autov2(*vae) : "";

  const auto started = Clock::now();
  for (int n = 0; n < params.batch_count; ++n) {
    {
      std::lock_guard lock(mutex_);
      state_.job_no = n;
      state_.sampling_step = 0;
      state_.skipped = false;
    }
    if (skip_requested_.exchange(false)) cancel_ = false;
    if (cancel_) break;  // interrupted
    try {
      const auto progress = [&](const GenerationProgress& p) {
        on_progress(n, p);
        if (host_progress) host_progress(p);
      };
      auto images = pipeline.generate(batch_params(params, n), progress, &cancel_);
      for (auto& image : images) {
        image.params.batch_count = params.batch_count;
        outcome.images.push_back(std::move(image));
      }
    } catch (const Cancelled&) {
      if (!skip_requested_) break;  // interrupted: keep what is done
    }
  }
  outcome.run = make_run_info(pipeline.target(), std::chrono::duration<double>(Clock::now() - started).count());
  return outcome;
}

void JobRunner::on_progress(int batch, const GenerationProgress& progress) {
  auto preview = progress.preview ? progress.preview() : Image8{};  // drawn before pollers wait on the lock
  std::lock_guard lock(mutex_);
  state_.job_no = batch;
  state_.sampling_step = progress.step;
  state_.sampling_steps = progress.steps;
  if (!preview.rgb.empty()) {
    preview_ = std::move(preview);
    ++preview_version_;
  }
}

ProgressSnapshot JobRunner::progress(bool with_image) {
  std::lock_guard lock(mutex_);
  ProgressSnapshot snapshot = state_;
  if (!state_.busy) return snapshot;
  snapshot.elapsed_seconds = std::chrono::duration<double>(Clock::now() - job_started_).count();
  // Encoded once per step however many clients poll.
  if (with_image && !preview_.rgb.empty()) {
    if (encoded_version_ != preview_version_) {
      encoded_preview_ = base64_encode(encode_png(preview_, {}));
      encoded_version_ = preview_version_;
    }
    snapshot.current_image = encoded_preview_;
  }
  return snapshot;
}

void JobRunner::interrupt() {
  std::lock_guard lock(mutex_);
  if (!state_.busy) return;
  state_.interrupted = true;
  cancel_ = true;
}

void JobRunner::skip() {
  std::lock_guard lock(mutex_);
  if (!state_.busy) return;
  state_.skipped = true;
  skip_requested_ = true;
  cancel_ = true;
}

std::optional<CheckpointItem> JobRunner::loaded_checkpoint() {
  std::lock_guard lock(mutex_);
  return loaded_;
}

}  // namespace atelier::server
