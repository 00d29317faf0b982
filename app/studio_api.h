#pragma once
// The studio's API switch: while settings.apiEnabled is on, A1111's API is served on 127.0.0.1 at
// settings.apiPort, over the studio's model library and output folder, with its jobs in the
// studio's queue (one queue, one loaded model). controller.apiStatus says what is served, or why not.
#include <QObject>

#include <memory>

namespace atelier::server {
class ApiService;
}

namespace atelier::ui {
class StudioController;
}

namespace atelier::app {

class StudioApi : public QObject {
 public:
  explicit StudioApi(ui::StudioController& controller);
  ~StudioApi() override;  // the API stops before the queue it uses

  int port() const;  // 0 while off

 private:
  // Stops what is served, then serves again as the settings now say.
  void restart();

  ui::StudioController& controller_;
  std::unique_ptr<server::ApiService> service_;
};

}  // namespace atelier::app
