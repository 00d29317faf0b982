#pragma once
// Where generations get their model. A PipelineCache keeps one Pipeline loaded between jobs and
// loads another only when a job asks for another file, device or memory mode. A PipelineHost
// runs jobs one at a time with its cache: the studio's queue is one, so that the API server it
// serves runs on the studio's loaded model, in turn with the studio's own jobs.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/pipeline/device_policy.h"

namespace atelier {

class Pipeline;
enum class MemoryMode;  // core/pipeline/pipeline.h
struct GenerationProgress;

class PipelineCache {
 public:
  PipelineCache();
  ~PipelineCache();

  // The pipeline of `model` on `device` in `memory` mode: the loaded one when it matches, else
  // the old one freed first (`on_load`, then the owner's listener, are told before the load
  // begins). A failed load leaves nothing loaded.
  Pipeline& get(const std::filesystem::path& model, DeviceChoice device, MemoryMode memory,
                const std::function<void()>& on_load = {});
  // The owner's: told of every load, whoever's job asked for it.
  void set_load_listener(std::function<void(const std::filesystem::path&)> listener) { listener_ = std::move(listener); }

 private:
  std::function<void(const std::filesystem::path&)> listener_;
  std::unique_ptr<Pipeline> pipeline_;
  std::filesystem::path model_;
  DeviceChoice device_ = DeviceChoice::Auto;
  MemoryMode memory_{};
};

// A job handed to a host by someone else (the API server).
struct HostedJob {
  std::string title;   // how the host's queue lists it: "API txt2img · 512×512 · 20 steps"
  std::string prompt;  // the prompt it runs, if any
  // Runs with the host's pipelines, telling the host's `progress` (may be empty) of each step.
  using Run = std::function<void(PipelineCache&, const std::function<void(const GenerationProgress&)>& progress)>;
  Run run;
  std::function<void()> cancel;       // the host's user stopped it while it ran (the studio's Cancel)
  std::function<bool()> abandoned;    // true once its sender no longer waits for it to start
};

class PipelineHost {
 public:
  virtual ~PipelineHost() = default;
  // Runs `job` after the host's earlier jobs, on the thread that owns the host's cache, and
  // returns once it has run; what it threw is rethrown here. A job abandoned before it started
  // does not run: Cancelled is thrown.
  virtual void run(HostedJob job) = 0;
};

// A host of its own for one sender that already runs its jobs one at a time (atelier-cli serve):
// each job runs at once on the calling thread.
class OwnPipelineHost final : public PipelineHost {
 public:
  void run(HostedJob job) override { job.run(cache_, {}); }

 private:
  PipelineCache cache_;
};

}  // namespace atelier
