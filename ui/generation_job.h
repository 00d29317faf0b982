#pragma once
// One queued request: what the form asked for, where its images go, and its cancel switch.
#include <QString>
#include <QVariantMap>

#include <atomic>
#include <memory>

namespace atelier::ui {

struct GenerationJob {
  int id = 0;
  QVariantMap params;  // see params_map.h; converted on the worker thread
  QString output_folder;
  bool live_preview = true;
  bool low_memory = false;  // MemoryMode::Low
  // Shared with the worker: the UI thread sets it, the pipeline polls it before each step.
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace atelier::ui
