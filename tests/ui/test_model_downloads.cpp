// The studio's model downloads against a loopback HTTP server: progress reaches the UI thread as
// signals, the file lands in the library's kind folder, a cancel leaves nothing, a 404 fails with
// a message naming it, and a finished checkpoint appears in the studio's model list.
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "tests/support/loopback_http_server.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"
#include "ui/model_downloads.h"
#include "ui/studio_controller.h"

using atelier::test::LoopbackHttpServer;
using atelier::ui::ModelDownload;
using atelier::ui::ModelDownloads;
namespace fs = std::filesystem;

namespace {

constexpr int kTimeoutMs = 20000;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

QString url_of(const LoopbackHttpServer& server, const char* path) { return QString::fromStdString(server.url(path)); }

}  // namespace

class ModelDownloadsTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void progressArrivesAndTheFileLandsInItsKindFolder() {
    const std::string payload = atelier::test::test_payload(2 * 1024 * 1024);
    LoopbackHttpServer server;
    server.routes().Get("/files/model.safetensors", [&](const httplib::Request&, httplib::Response& response) {
      atelier::test::serve_payload(response, payload);
    });
    atelier::test::TempDir library;
    ModelDownloads downloads(nullptr, library.path());
    QSignalSpy downloaded(&downloads, &ModelDownloads::modelDownloaded);

    ModelDownload* download = downloads.downloadUrl(url_of(server, "/files/model.safetensors"));
    QVERIFY(download);
    QCOMPARE(downloads.current(), download);
    QSignalSpy progress(download, &ModelDownload::progressChanged);
    QTRY_COMPARE_WITH_TIMEOUT(download->state(), ModelDownload::Done, kTimeoutMs);

    const fs::path file = library.path() / "checkpoints" / "model.safetensors";
    QVERIFY(progress.count() >= 1);
    QCOMPARE(download->path(), QString::fromStdString(file.string()));
    QCOMPARE(read_bytes(file), payload);
    QCOMPARE(download->bytesText(), QStringLiteral("2.10 MB / 2.10 MB"));
    QCOMPARE(download->fraction(), 1.0);
    QVERIFY(download->error().isEmpty());
    QCOMPARE(downloaded.count(), 1);
    QCOMPARE(downloaded.at(0).at(0).toString(), download->path());
  }

  void aCancelLeavesNoFile() {
    const std::string payload = atelier::test::test_payload(1024 * 1024);
    std::atomic<bool> released = false;
    LoopbackHttpServer server;
    server.routes().Get("/files/stalled.safetensors", [&](const httplib::Request&, httplib::Response& response) {
      atelier::test::serve_half_then_hold(response, payload, released);
    });
    atelier::test::TempDir library;
    ModelDownloads downloads(nullptr, library.path());
    QSignalSpy downloaded(&downloads, &ModelDownloads::modelDownloaded);

    ModelDownload* download = downloads.downloadUrl(url_of(server, "/files/stalled.safetensors"), QStringLiteral("lora"));
    QTRY_VERIFY_WITH_TIMEOUT(download->fraction() > 0, kTimeoutMs);
    QCOMPARE(download->state(), ModelDownload::Running);
    download->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(download->state(), ModelDownload::Cancelled, kTimeoutMs);
    released = true;

    const fs::path folder = library.path() / "loras";
    QVERIFY(!fs::exists(folder) || fs::is_empty(folder));
    QVERIFY(download->path().isEmpty());
    QCOMPARE(downloaded.count(), 0);
  }

  void a404FailsWithAMessageNamingIt() {
    LoopbackHttpServer server;  // serves nothing: every path is a 404
    atelier::test::TempDir library;
    ModelDownloads downloads(nullptr, library.path());
    const QString url = url_of(server, "/owner/repo/resolve/main/missing.safetensors");

    ModelDownload* download = downloads.downloadUrl(url);
    QTRY_COMPARE_WITH_TIMEOUT(download->state(), ModelDownload::Failed, kTimeoutMs);

    QVERIFY2(download->error().contains(QStringLiteral("404")), qPrintable(download->error()));
    QVERIFY2(download->error().contains(url), qPrintable(download->error()));
    QVERIFY(fs::is_empty(library.path()) || fs::is_empty(library.path() / "checkpoints"));
  }

  void anUnknownKindOrStarterIsRefusedWithAMessage() {
    atelier::test::TempDir library;
    ModelDownloads downloads(nullptr, library.path());
    QSignalSpy errors(&downloads, &ModelDownloads::errorOccurred);

    QCOMPARE(downloads.downloadUrl(QStringLiteral("http://127.0.0.1:1/x.safetensors"), QStringLiteral("painting")), nullptr);
    QCOMPARE(downloads.downloadStarter(QStringLiteral("sd99")), nullptr);

    QCOMPARE(errors.count(), 2);
    QVERIFY(errors.at(0).at(0).toString().contains(QStringLiteral("'painting'")));
    QVERIFY(errors.at(1).at(0).toString().contains(QStringLiteral("'sd99'")));
  }

  void theStarterListShowsEachModelsLicence() {
    ModelDownloads downloads;
    const QVariantList starters = downloads.starters();
    QVERIFY(!starters.isEmpty());
    bool found_sd15 = false;
    for (const QVariant& row : starters) {
      const QVariantMap starter = row.toMap();
      QVERIFY2(!starter.value(QStringLiteral("licence")).toString().isEmpty(), qPrintable(starter.value("name").toString()));
      if (starter.value(QStringLiteral("name")) == QStringLiteral("sd15")) {
        found_sd15 = true;
        QCOMPARE(starter.value(QStringLiteral("kind")).toString(), QStringLiteral("checkpoint"));
      }
    }
    QVERIFY(found_sd15);
    const QString suggested = downloads.suggestedStarter();
    QVERIFY(suggested == QStringLiteral("sd15") || suggested == QStringLiteral("sdxl-base"));
  }

  // The studio's downloads go to Atelier's own folder, which its model list scans.
  void aDownloadedCheckpointAppearsInTheStudiosModelList() {
    const std::string model = read_bytes(ATELIER_TINY_MODEL);
    QVERIFY(!model.empty());
    LoopbackHttpServer server;
    server.routes().Get("/files/tiny.safetensors", [&](const httplib::Request&, httplib::Response& response) {
      atelier::test::serve_payload(response, model);
    });
    atelier::test::TempDir data_home;
    const atelier::test::ScopedEnv xdg("XDG_DATA_HOME", data_home.path().string());
    atelier::ui::StudioController controller;
    QTRY_VERIFY_WITH_TIMEOUT(!controller.models()->scanning(), kTimeoutMs);
    const QString expected = QString::fromStdString((data_home.path() / "atelier" / "models" / "checkpoints" / "tiny.safetensors").string());
    QCOMPARE(controller.models()->indexOfPath(expected), -1);

    ModelDownload* download = controller.downloads()->downloadUrl(url_of(server, "/files/tiny.safetensors"));
    QTRY_COMPARE_WITH_TIMEOUT(download->state(), ModelDownload::Done, kTimeoutMs);
    QCOMPARE(download->path(), expected);

    QTRY_VERIFY_WITH_TIMEOUT(controller.models()->indexOfPath(expected) >= 0, kTimeoutMs);
    QVERIFY(controller.models()->supportedCount() >= 1);
  }
};

QTEST_MAIN(ModelDownloadsTest)
#include "test_model_downloads.moc"
