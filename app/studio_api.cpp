#include "app/studio_api.h"

#include "core/library/library_settings.h"
#include "core/pipeline/pipeline.h"
#include "server/api_service.h"
#include "ui/studio_controller.h"

namespace atelier::app {

StudioApi::StudioApi(ui::StudioController& controller) : controller_(controller) {
  auto* settings = controller.settings();
  connect(settings, &ui::StudioSettings::apiChanged, this, &StudioApi::restart);
  // A running API keeps the device, memory mode and output folder it started with.
  for (auto changed : {&ui::StudioSettings::deviceChanged, &ui::StudioSettings::lowMemoryChanged,
                       &ui::StudioSettings::outputFolderChanged, &ui::StudioSettings::modelFoldersChanged})
    connect(settings, changed, this, [this] {
      if (service_) restart();
    });
  restart();
}

StudioApi::~StudioApi() = default;

int StudioApi::port() const { return service_ ? service_->port() : 0; }

void StudioApi::restart() {
  service_.reset();
  auto* settings = controller_.settings();
  if (!settings->apiEnabled()) {
    controller_.setApiStatus(tr("Off"));
    return;
  }
  server::ApiServiceConfig config;
  config.http.port = settings->apiPort();  // the host stays 127.0.0.1: this machine only
  std::vector<std::filesystem::path> folders;
  for (const auto& folder : settings->modelFolders()) folders.emplace_back(folder.toStdString());
  config.roots = library_roots_with_own(folders);  // as the studio's model list
  config.output = settings->outputFolder().toStdString();
  config.device = parse_device_choice(settings->device().toStdString());
  config.memory = settings->lowMemory() ? MemoryMode::Low : MemoryMode::Standard;
  try {
    service_ = std::make_unique<server::ApiService>(std::move(config), controller_.queue());
    controller_.setApiStatus(tr("Serving %1/sdapi/v1/").arg(QString::fromStdString(service_->base_url())));
  } catch (const std::exception& error) {
    controller_.setApiStatus(tr("Not serving: %1").arg(QString::fromUtf8(error.what())));
  }
}

}  // namespace atelier::app
