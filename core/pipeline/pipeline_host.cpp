#include "core/pipeline/pipeline_host.h"

#include "core/pipeline/pipeline.h"

namespace atelier {

PipelineCache::PipelineCache() = default;
PipelineCache::~PipelineCache() = default;

Pipeline& PipelineCache::get(const std::filesystem::path& model, DeviceChoice device, MemoryMode memory,
                             const std::function<void()>& on_load) {
  if (pipeline_ && model == model_ && device == device_ && memory == memory_) return *pipeline_;
  pipeline_.reset();  // the old weights go before the new ones load
  if (on_load) on_load();
  if (listener_) listener_(model);
  pipeline_ = std::make_unique<Pipeline>(model, device, memory);
  model_ = model;
  device_ = device;
  memory_ = memory;
  return *pipeline_;
}

}  // namespace atelier
