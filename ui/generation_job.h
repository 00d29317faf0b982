#pragma once
// One queued request: what the form asked for, where its images go, and its cancel switch.
#include <QString>
#include <QVariantMap>

#include <atomic>
#include <memory>
#include <optional>

#include "core/library/model_library.h"

namespace atelier::ui {

class HostedTurn;

// The gallery's Upscale action: `source` enlarged `scale` times with `upscaler` (open_upscaler's
// names: Lanczos, Nearest or a library model), saved as a new image, as A1111's extras tab does.
struct UpscaleRequest {
  QString source;
  QString upscaler;
  double scale = 4.0;
  int threads = 0;  // 0: every hardware thread
};

struct GenerationJob {
  int id = 0;
  QVariantMap params;  // see params_map.h; converted on the worker thread
  std::optional<UpscaleRequest> upscale;  // an upscale instead of a generation
  std::shared_ptr<HostedTurn> hosted;     // the API server's job instead (hosted_turn.h)
  QString output_folder;
  bool live_preview = true;
  bool low_memory = false;  // MemoryMode::Low
  // Where a hires upscaler is found by name and a re-run's renamed networks and VAE by the
  // hashes it recorded (which may hash files); null: by path and folder only.
  std::shared_ptr<ModelLibrary> library;
  // Shared with the worker: the UI thread sets it, the pipeline polls it before each step.
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace atelier::ui
