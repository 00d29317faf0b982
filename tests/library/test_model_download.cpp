// Model downloads against a loopback HTTP server shaped like Hugging Face's resolve URLs.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/library/model_download.h"
#include "core/library/starter_models.h"
#include "support/loopback_http_server.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"

using namespace atelier;
using atelier::test::LoopbackHttpServer;
using atelier::test::payload_sha256;
using atelier::test::ScopedEnv;
using atelier::test::serve_half_then_hold;
using atelier::test::serve_payload;
using atelier::test::TempDir;
using atelier::test::test_payload;
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelPath = "/owner/repo/resolve/main/model.safetensors";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}


std::string error_of(const DownloadRequest& request, const DownloadProgressCallback& progress = {}) {
  try {
    download_model(request, progress);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the download of " << request.url << " succeeded");
  return {};
}

// The folder holds no file at all: neither the model nor its .part.
bool empty_folder(const fs::path& folder) { return !fs::exists(folder) || fs::is_empty(folder); }

}  // namespace

TEST_CASE("a clean download writes the file and reports progress up to its size") {
  const std::string payload = test_payload(300 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) { serve_payload(response, payload); });
  TempDir dest;
  std::vector<DownloadProgress> reports;

  const auto file = download_model({.url = server.url(kModelPath), .destination = dest.path(), .sha256 = payload_sha256(payload)},
                                   [&](const DownloadProgress& progress) {
                                     reports.push_back(progress);
                                     return true;
                                   });

  CHECK(file == dest / "model.safetensors");
  CHECK(read_file(file) == payload);
  CHECK_FALSE(fs::exists(dest / "model.safetensors.part"));
  REQUIRE_FALSE(reports.empty());
  for (std::size_t i = 1; i < reports.size(); ++i) CHECK(reports[i].done >= reports[i - 1].done);
  CHECK(reports.back().done == payload.size());
  CHECK(reports.back().total == payload.size());
}

TEST_CASE("a redirect is followed and the server's Content-Disposition names the file") {
  const std::string payload = test_payload(200 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/cdn/blobs/abc123", 302);
  });
  server.routes().Get("/cdn/blobs/abc123", [&](const httplib::Request&, httplib::Response& response) {
    // As Hugging Face's CDN sends it: RFC 6266's encoded filename* first, a plain fallback after.
    response.set_header("Content-Disposition",
                        R"(attachment; filename*=UTF-8''named%20by%20server.safetensors; filename="fallback.safetensors";)");
    serve_payload(response, payload);
  });
  TempDir dest;

  const auto file = download_model({.url = server.url(kModelPath), .destination = dest.path()});

  CHECK(file == dest / "named by server.safetensors");
  CHECK(read_file(file) == payload);
}

TEST_CASE("an interrupted download keeps its .part and the next one resumes it with a Range request") {
  const std::string payload = test_payload(400 * 1024);
  LoopbackHttpServer server;
  std::mutex mutex;
  std::vector<std::string> ranges;  // the Range header of each request
  server.routes().Get(kModelPath, [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex);
    ranges.push_back(request.get_header_value("Range"));
    serve_payload(response, payload, ranges.size() == 1 ? payload.size() / 2 : std::string::npos);
  });
  TempDir dest;
  const DownloadRequest request{.url = server.url(kModelPath), .destination = dest.path(), .sha256 = payload_sha256(payload)};

  const std::string message = error_of(request);
  CHECK_THAT(message, Catch::Contains(request.url) && Catch::Contains("resume"));
  const fs::path part = dest / "model.safetensors.part";
  REQUIRE(fs::exists(part));
  const auto kept = fs::file_size(part);
  CHECK(kept > 0);
  CHECK(kept < payload.size());
  CHECK(read_file(part) == payload.substr(0, kept));

  std::vector<DownloadProgress> reports;
  const auto file = download_model(request, [&](const DownloadProgress& progress) {
    reports.push_back(progress);
    return true;
  });

  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0].empty());
  CHECK(ranges[1] == "bytes=" + std::to_string(kept) + "-");
  CHECK(read_file(file) == payload);
  CHECK_FALSE(fs::exists(part));
  REQUIRE_FALSE(reports.empty());
  CHECK(reports.front().done >= kept);
  CHECK(reports.back().done == payload.size());
}

TEST_CASE("a server that ignores the Range of a resumed download makes it start over") {
  const std::string payload = test_payload(100 * 1024);
  LoopbackHttpServer server;
  std::string range;
  server.routes().Get(kModelPath, [&](const httplib::Request& request, httplib::Response& response) {
    range = request.get_header_value("Range");
    // Chunked and 200: cpp-httplib leaves such an answer whole, as a server without ranges sends it.
    response.status = 200;
    response.set_chunked_content_provider("application/octet-stream", [&payload](std::size_t offset, httplib::DataSink& sink) {
      if (offset < payload.size()) sink.write(payload.data() + offset, payload.size() - offset);
      else sink.done();
      return true;
    });
  });
  TempDir dest;
  std::ofstream(dest / "model.safetensors.part", std::ios::binary) << std::string(5000, 'x');

  const auto file = download_model({.url = server.url(kModelPath), .destination = dest.path(), .sha256 = payload_sha256(payload)});

  CHECK(range == "bytes=5000-");
  CHECK(read_file(file) == payload);
}

TEST_CASE("a .part as long as the file (416 to its Range) is downloaded again") {
  const std::string payload = test_payload(20 * 1024);
  LoopbackHttpServer server;
  std::vector<std::string> ranges;
  const std::string past_the_end = "bytes=" + std::to_string(payload.size()) + "-";
  server.routes().Get(kModelPath, [&](const httplib::Request& request, httplib::Response& response) {
    ranges.push_back(request.get_header_value("Range"));
    // As HTTP servers (Hugging Face's CDN among them) answer a Range that starts at the end.
    if (ranges.back() == past_the_end) {
      response.status = 416;
      response.set_header("Content-Range", "bytes */" + std::to_string(payload.size()));
    } else {
      serve_payload(response, payload);
    }
  });
  TempDir dest;
  std::ofstream(dest / "model.safetensors.part", std::ios::binary) << std::string(payload.size(), 'x');

  const auto file = download_model({.url = server.url(kModelPath), .destination = dest.path()});

  CHECK(ranges == std::vector<std::string>{past_the_end, ""});
  CHECK(read_file(file) == payload);
}

TEST_CASE("a wrong sha256 deletes the download and names both digests") {
  const std::string payload = test_payload(64 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) { serve_payload(response, payload); });
  TempDir dest;
  const std::string wrong(64, 'a');

  const std::string message = error_of({.url = server.url(kModelPath), .destination = dest.path(), .sha256 = wrong});

  CHECK_THAT(message, Catch::Contains("sha256 mismatch") && Catch::Contains("expected " + wrong) &&
                          Catch::Contains("got " + payload_sha256(payload)) && Catch::Contains(server.url(kModelPath)));
  CHECK(empty_folder(dest.path()));
}

TEST_CASE("a file already in the folder is refused before anything is downloaded") {
  LoopbackHttpServer server;
  int requests = 0;
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) {
    ++requests;
    serve_payload(response, test_payload(1024));
  });
  TempDir dest;
  std::ofstream(dest / "model.safetensors") << "mine";

  const std::string message = error_of({.url = server.url(kModelPath), .destination = dest.path()});

  CHECK_THAT(message, Catch::Contains((dest / "model.safetensors").string()) && Catch::Contains("already exists"));
  CHECK(requests == 0);
  CHECK(read_file(dest / "model.safetensors") == "mine");
}

TEST_CASE("HTTP errors are explained with the URL") {
  LoopbackHttpServer server;
  const std::string payload = test_payload(1024);
  server.routes().Get("/owner/gated/resolve/main/model.safetensors", [&](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") != "Bearer good-token") {
      response.status = 401;
      return;
    }
    serve_payload(response, payload);
  });
  TempDir dest;

  SECTION("404") {
    const std::string url = server.url("/owner/repo/resolve/main/missing.safetensors");
    const std::string message = error_of({.url = url, .destination = dest.path()});
    CHECK_THAT(message, Catch::Contains(url) && Catch::Contains("not found") && Catch::Contains("404"));
  }
  SECTION("401 says a token may be needed, and the token opens it") {
    const std::string url = server.url("/owner/gated/resolve/main/model.safetensors");
    const std::string message = error_of({.url = url, .destination = dest.path(), .token = "wrong-token"});
    CHECK_THAT(message, Catch::Contains(url) && Catch::Contains("401") && Catch::Contains("token"));
    CHECK(empty_folder(dest.path()));
    CHECK(read_file(download_model({.url = url, .destination = dest.path(), .token = "good-token"})) == payload);
  }
  SECTION("no server at the address") {
    LoopbackHttpServer closed;
    const std::string url = closed.url("/x.safetensors");
    closed.routes().stop();
    const std::string message = error_of({.url = url, .destination = dest.path()});
    CHECK_THAT(message, Catch::Contains(url) && Catch::Contains("connect"));
  }
}

TEST_CASE("a file larger than the free disk space is refused before any byte is written") {
  constexpr std::size_t kAnnounced = 10'000'000'000'000'000;  // 10 PB, more than any test machine has free
  const std::string chunk = test_payload(16 * 1024);
  LoopbackHttpServer server;
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) {
    response.set_content_provider(kAnnounced, "application/octet-stream",
                                  [&chunk](std::size_t, std::size_t, httplib::DataSink& sink) {
                                    sink.write(chunk.data(), chunk.size());
                                    return false;
                                  });
  });
  TempDir dest;

  const std::string message = error_of({.url = server.url(kModelPath), .destination = dest.path()});

  CHECK_THAT(message, Catch::Contains("not enough disk space") && Catch::Contains(dest.path().string()) &&
                          Catch::Contains(format_bytes(kAnnounced)) && Catch::Contains("free"));
  CHECK(empty_folder(dest.path()));
}

TEST_CASE("a download cancelled from its progress callback leaves no file") {
  const std::string payload = test_payload(256 * 1024);
  LoopbackHttpServer server;
  std::atomic<bool> finished{false};
  server.routes().Get(kModelPath, [&](const httplib::Request&, httplib::Response& response) {
    serve_half_then_hold(response, payload, finished);
  });
  TempDir dest;
  std::uint64_t done_at_cancel = 0;

  CHECK_THROWS_AS(download_model({.url = server.url(kModelPath), .destination = dest.path()},
                                 [&](const DownloadProgress& progress) {
                                   done_at_cancel = progress.done;
                                   return progress.done == 0;
                                 }),
                  Cancelled);
  finished = true;

  CHECK(done_at_cancel > 0);
  CHECK(empty_folder(dest.path()));
}

TEST_CASE("Hugging Face OWNER/REPO FILE addresses honour HF_ENDPOINT") {
  SECTION("the default endpoint, the file's folders kept and its name encoded") {
    ScopedEnv endpoint("HF_ENDPOINT", std::nullopt);
    CHECK(hugging_face_url("owner/repo", "unet/diffusion model.safetensors") ==
          "https://huggingface.co/owner/repo/resolve/main/unet/diffusion%20model.safetensors");
    CHECK_THROWS_AS(hugging_face_url("just-a-name", "model.safetensors"), InvalidArgument);
    CHECK_THROWS_AS(hugging_face_url("owner/repo", ""), InvalidArgument);
  }
  SECTION("a mirror given by HF_ENDPOINT serves the download") {
    const std::string payload = test_payload(50 * 1024);
    LoopbackHttpServer server;
    server.routes().Get("/owner/repo/resolve/main/vae/sdxl vae.safetensors",
                        [&](const httplib::Request&, httplib::Response& response) { serve_payload(response, payload); });
    ScopedEnv endpoint("HF_ENDPOINT", server.base_url() + "/");
    const std::string url = hugging_face_url("owner/repo", "vae/sdxl vae.safetensors");
    CHECK(url == server.base_url() + "/owner/repo/resolve/main/vae/sdxl%20vae.safetensors");
    TempDir dest;
    const auto file = download_model({.url = url, .destination = dest.path()});
    CHECK(file == dest / "sdxl vae.safetensors");
    CHECK(read_file(file) == payload);
  }
}

TEST_CASE("the starter list's entries are complete where they are known") {
  for (const auto& model : starter_models()) {
    INFO(model.name);
    CHECK_FALSE(model.title.empty());
    CHECK_FALSE(model.licence.empty());
    CHECK(model.repo.empty() != model.url.empty());
    CHECK(file_name_from_url(starter_model_url(model)) == fs::path(model.file).filename().string());
    if (!model.sha256.empty()) CHECK(model.sha256.size() == 64);
    CHECK(find_starter_model(model.name)->file == model.file);
  }
  CHECK_FALSE(find_starter_model("no-such-model"));
}
