// The studio's API switch, driven by a real HTTP client: A1111's API served on the studio's queue
// and loaded model. Its jobs wait behind the studio's, show in the queue, are cancelled and taken
// off from it, and give the pixels the studio's own jobs give for the same settings.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <future>
#include <nlohmann/json.hpp>

#include "app/studio_api.h"
#include "server/base64.h"
#include "ui/studio_controller.h"

using atelier::ui::JobQueue;
using atelier::ui::StudioController;
using nlohmann::json;

namespace {

// The API's settings and the studio form's for the same image.
const json kTxt2img = {{"prompt", "a red fox in the snow"}, {"negative_prompt", "blurry"}, {"steps", 3},
                       {"width", 64}, {"height", 64}, {"seed", 1234}, {"sampler_name", "Euler a"}, {"cfg_scale", 6.5}};

QVariantMap form_of_txt2img(const QString& model) {
  return {{QStringLiteral("prompt"), QStringLiteral("a red fox in the snow")},
          {QStringLiteral("negativePrompt"), QStringLiteral("blurry")},
          {QStringLiteral("model"), model},
          {QStringLiteral("sampler"), QStringLiteral("Euler a")},
          {QStringLiteral("steps"), 3},
          {QStringLiteral("cfgScale"), 6.5},
          {QStringLiteral("width"), 64},
          {QStringLiteral("height"), 64},
          {QStringLiteral("seed"), 1234}};
}

struct Reply {
  int status = 0;
  json body;
};

Reply post(int port, const std::string& path, const json& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(300, 0);
  const auto result = client.Post(path.c_str(), body.dump(), "application/json");
  if (!result) return {-1, nullptr};
  return {result->status, json::parse(result->body, nullptr, false)};
}

std::future<Reply> post_async(int port, json body) {
  return std::async(std::launch::async, [port, body = std::move(body)] { return post(port, "/sdapi/v1/txt2img", body); });
}

// Waits for `reply` while the UI thread goes on with its events: the API's jobs join the queue
// through them. False after `ms`.
bool arrives(std::future<Reply>& reply, int ms) {
  QElapsedTimer waited;
  waited.start();
  while (reply.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (waited.elapsed() > ms) return false;
    QTest::qWait(10);
  }
  return true;
}

// Whether job `id` of `queue` has reported a step.
bool has_stepped(const QSignalSpy& progressed, int id) {
  for (const auto& arguments : progressed)
    if (arguments.at(0).toInt() == id) return true;
  return false;
}

QImage decoded(const std::string& base64) {
  const auto bytes = atelier::server::base64_decode(base64);
  if (!bytes) return {};
  return QImage::fromData(reinterpret_cast<const uchar*>(bytes->data()), static_cast<int>(bytes->size()), "PNG");
}

}  // namespace

class StudioApiTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    // An A1111 install holding the tiny model: the studio's list and the API's are the same file.
    QVERIFY(QDir(dir_->path()).mkpath(QStringLiteral("webui/models/Stable-diffusion")));
    QVERIFY(QFile::link(QStringLiteral(ATELIER_TINY_MODEL), dir_->path() + QStringLiteral("/webui/models/Stable-diffusion/tiny.safetensors")));
    QVERIFY(QFile::link(QStringLiteral(ATELIER_TEST_DATA_DIR "/sd1-tiny/model.yaml"),
                        dir_->path() + QStringLiteral("/webui/models/Stable-diffusion/tiny.yaml")));
    controller_ = std::make_unique<StudioController>();
    auto* settings = controller_->settings();
    settings->setOutputFolder(dir_->path() + QStringLiteral("/outputs"));
    settings->setModelFolders({dir_->path() + QStringLiteral("/webui")});
    settings->setThreads(0);  // as the API's jobs run
    settings->setApiEnabled(false);
    settings->setApiPort(0);  // any free port
    // The studio's jobs name the model as its list does.
    auto* models = controller_->models();
    QTRY_VERIFY_WITH_TIMEOUT(models->indexOfName(QStringLiteral("tiny")) >= 0 && !models->scanning(), 20'000);
    model_ = models->get(models->indexOfName(QStringLiteral("tiny"))).value(QStringLiteral("path")).toString();
    api_ = std::make_unique<atelier::app::StudioApi>(*controller_);
    QCOMPARE(api_->port(), 0);
    QCOMPARE(controller_->apiStatus(), QStringLiteral("Off"));
    settings->setApiEnabled(true);
    QVERIFY2(api_->port() > 0, qPrintable(controller_->apiStatus()));
    QCOMPARE(controller_->apiStatus(), QStringLiteral("Serving http://127.0.0.1:%1/sdapi/v1/").arg(api_->port()));
  }
  void cleanup() {
    controller_->settings()->setApiEnabled(false);
    api_.reset();
    controller_.reset();
    dir_.reset();
  }

  // A request sent while a studio job runs waits behind it in the studio's queue, listed there,
  // and then runs on the model the studio loaded: loaded once for all jobs, and the same pixels
  // as the studio's own job with the same settings.
  void apiJobsShareTheStudiosQueueAndModel() {
    JobQueue* queue = controller_->queue();
    QStringList loads;
    connect(queue, &JobQueue::jobStatus, this, [&](int, const QString& text) {
      if (text.startsWith(QStringLiteral("Loading"))) loads << text;
    });
    QSignalSpy started(queue, &JobQueue::jobStarted);
    QSignalSpy hosted_ended(queue, &JobQueue::hostedJobEnded);
    QSignalSpy cancelled(queue, &JobQueue::jobCancelled);
    QSignalSpy progressed(queue, &JobQueue::progressed);

    auto long_job = form_of_txt2img(model_);
    long_job[QStringLiteral("steps")] = 1000;  // runs until cancelled
    const int studio_job = controller_->generate(long_job);
    QVERIFY(studio_job > 0);
    QTRY_VERIFY_WITH_TIMEOUT(has_stepped(progressed, studio_job), 60'000);

    auto reply = post_async(api_->port(), kTxt2img);
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 2, 10'000);
    const QModelIndex waiting = queue->index(1);
    QCOMPARE(queue->data(waiting, JobQueue::SummaryRole).toString(), QStringLiteral("API txt2img · 64×64 · 3 steps"));
    QCOMPARE(queue->data(waiting, JobQueue::PromptRole).toString(), QStringLiteral("a red fox in the snow"));
    QCOMPARE(queue->data(waiting, JobQueue::RunningRole).toBool(), false);
    QVERIFY(!arrives(reply, 200));  // it waits its turn

    controller_->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(hosted_ended.count(), 1, 60'000);
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(arrives(reply, 10'000));
    const Reply api = reply.get();
    QCOMPARE(api.status, 200);
    QCOMPARE(api.body["images"].size(), std::size_t{1});
    const QImage from_api = decoded(api.body["images"][0]);
    QCOMPARE(from_api.size(), QSize(64, 64));
    QCOMPARE(controller_->status(), QStringLiteral("Finished an API request"));

    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    QVERIFY(controller_->generate(form_of_txt2img(model_)) > 0);
    QVERIFY(finished.wait(120'000));
    const QImage from_studio(finished.front().at(1).toStringList().front());
    QCOMPARE(from_api.convertToFormat(QImage::Format_RGB888), from_studio.convertToFormat(QImage::Format_RGB888));
    QCOMPARE(started.count(), 3);
    QCOMPARE(loads.size(), 1);  // one model for the three jobs
  }

  // The studio's Cancel interrupts a running API job (its client is answered with what finished);
  // a waiting one taken off the queue is answered 503 and never runs. An API job's load and steps
  // show in the studio's status and progress, as the studio's own jobs' do.
  void theStudioCancelsAndRemovesApiJobs() {
    JobQueue* queue = controller_->queue();
    QStringList loads;
    connect(queue, &JobQueue::jobStatus, this, [&](int, const QString& text) {
      if (text.startsWith(QStringLiteral("Loading"))) loads << text;
    });
    QSignalSpy progressed(queue, &JobQueue::progressed);
    json body = kTxt2img;
    body["steps"] = 1000;
    auto running = post_async(api_->port(), body);
    // The studio follows the API job's steps as its own.
    QTRY_VERIFY_WITH_TIMEOUT(queue->rowCount() == 1 && controller_->step() > 0, 60'000);
    QCOMPARE(controller_->steps(), 1000);
    controller_->cancel();
    QVERIFY(arrives(running, 60'000));
    const Reply interrupted = running.get();
    QCOMPARE(interrupted.status, 200);
    QVERIFY(interrupted.body["images"].empty());
    QCOMPARE(loads, QStringList{QStringLiteral("Loading %1…").arg(model_)});

    auto long_job = form_of_txt2img(model_);
    long_job[QStringLiteral("steps")] = 1000;
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 0, 10'000);
    const int studio_job = controller_->generate(long_job);
    QVERIFY(studio_job > 0);
    QTRY_VERIFY_WITH_TIMEOUT(has_stepped(progressed, studio_job), 60'000);
    auto removed = post_async(api_->port(), kTxt2img);
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 2, 10'000);
    QVERIFY(!queue->data(queue->index(1), JobQueue::SummaryRole).toString().isEmpty());
    queue->remove(queue->data(queue->index(1), JobQueue::JobIdRole).toInt());
    QVERIFY(arrives(removed, 10'000));
    const Reply refused = removed.get();
    QCOMPARE(refused.status, 503);
    QVERIFY2(refused.body.dump().find("taken off the studio's queue") != std::string::npos, refused.body.dump().c_str());
    QCOMPARE(queue->rowCount(), 1);
    controller_->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 0, 60'000);
  }

  // Turning the switch off answers a waiting request at once and closes the port, while the
  // studio's job goes on; a port in use is named.
  void theSwitchStopsTheApi() {
    QSignalSpy progressed(controller_->queue(), &JobQueue::progressed);
    auto long_job = form_of_txt2img(model_);
    long_job[QStringLiteral("steps")] = 1000;
    const int studio_job = controller_->generate(long_job);
    QVERIFY(studio_job > 0);
    QTRY_VERIFY_WITH_TIMEOUT(has_stepped(progressed, studio_job), 60'000);
    const int port = api_->port();
    auto waiting = post_async(port, kTxt2img);
    QTRY_COMPARE_WITH_TIMEOUT(controller_->queue()->rowCount(), 2, 10'000);

    controller_->settings()->setApiEnabled(false);
    QCOMPARE(api_->port(), 0);
    QCOMPARE(controller_->apiStatus(), QStringLiteral("Off"));
    QVERIFY(arrives(waiting, 10'000));
    const Reply stopped = waiting.get();
    QCOMPARE(stopped.status, 503);
    QVERIFY2(stopped.body.dump().find("the server is stopping") != std::string::npos, stopped.body.dump().c_str());
    QCOMPARE(post(port, "/sdapi/v1/txt2img", kTxt2img).status, -1);  // nothing listens
    QVERIFY(controller_->queue()->busy());  // the studio's job still runs
    controller_->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(controller_->queue()->rowCount(), 0, 60'000);

    // Another program's socket (plain, as A1111's uvicorn: no SO_REUSEPORT to share the port).
    const int other = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    QVERIFY(::bind(other, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(other, 1) == 0 &&
            ::getsockname(other, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const int taken = ntohs(address.sin_port);
    controller_->settings()->setApiPort(taken);
    controller_->settings()->setApiEnabled(true);
    QCOMPARE(api_->port(), 0);
    QVERIFY2(controller_->apiStatus().startsWith(QStringLiteral("Not serving: cannot listen on 127.0.0.1:%1").arg(taken)),
             qPrintable(controller_->apiStatus()));
    ::close(other);
  }

 private:
  std::unique_ptr<QTemporaryDir> dir_;
  QString model_;
  std::unique_ptr<StudioController> controller_;
  std::unique_ptr<atelier::app::StudioApi> api_;
};

QTEST_MAIN(StudioApiTest)
#include "test_studio_api.moc"
