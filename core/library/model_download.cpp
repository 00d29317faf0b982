#include "core/library/model_download.h"

#include <curl/curl.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "core/error.h"
#include "core/io/sha256.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

constexpr long kConnectTimeoutSeconds = 30;
constexpr long kStalledSeconds = 60;  // a transfer slower than 1 byte/s for this long stops (resumable)
constexpr long kMaxRedirects = 10;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && is_hex(text.substr(i + 1, 2))) {
      decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

// RFC 3986 percent-encoding of a URL path, its '/' kept.
std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

// A name a server or URL gives, reduced to a plain file name: never a path out of the folder.
std::string plain_file_name(std::string name) {
  if (const auto slash = name.find_last_of("/\\"); slash != std::string::npos) name = name.substr(slash + 1);
  return name == "." || name == ".." ? std::string() : name;
}

// The filename of a Content-Disposition value: RFC 6266's filename*=UTF-8''... first, else filename=.
std::string content_disposition_name(std::string_view value) {
  const std::string lowered = lower(std::string(value));
  if (auto at = lowered.find("filename*="); at != std::string::npos) {
    auto text = value.substr(at + 10);
    text = trimmed(text.substr(0, text.find(';')));
    if (const auto quote = text.find("''"); quote != std::string_view::npos) text = text.substr(quote + 2);
    return plain_file_name(percent_decode(text));
  }
  const auto at = lowered.find("filename=");
  if (at == std::string::npos) return {};
  auto text = value.substr(at + 9);
  if (text.starts_with('"')) {
    text = text.substr(1, text.find('"', 1) - 1);
  } else {
    text = trimmed(text.substr(0, text.find(';')));
  }
  return plain_file_name(std::string(text));
}

std::optional<std::uint64_t> free_space(const fs::path& folder) {
  struct statvfs stats {};
  if (::statvfs(folder.c_str(), &stats) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(stats.f_bavail) * stats.f_frsize;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// One request's state, shared with libcurl's callbacks.
struct Transfer {
  const DownloadRequest& request;
  const DownloadProgressCallback& progress;
  fs::path part;
  std::uint64_t offset = 0;  // bytes of the .part the Range asked to continue after
  CURL* curl = nullptr;
  std::FILE* file = nullptr;
  std::uint64_t written = 0;
  std::optional<std::uint64_t> total{};
  std::string disposition_name{};  // of the last response (redirects send several)
  std::string failure{};       // why a callback stopped the transfer
  bool cancelled = false;

  ~Transfer() {
    if (file) std::fclose(file);
  }

  // At the first byte of the body: start over when the server ignored the Range (200, not 206),
  // check the free space against the announced length, then open the .part.
  bool open_part() {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 206) offset = 0;
    curl_off_t length = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (length >= 0) {
      total = offset + static_cast<std::uint64_t>(length);
      const auto available = free_space(request.destination);
      if (available && static_cast<std::uint64_t>(length) > *available) {
        failure = "not enough disk space in " + request.destination.string() + " for " + request.url + ": it needs " +
                  format_bytes(static_cast<std::uint64_t>(length)) + ", " + format_bytes(*available) +
                  " are free; nothing was written";
        return false;
      }
    }
    file = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
    if (!file) failure = "cannot write " + part.string() + ": " + std::strerror(errno);
    return file != nullptr;
  }

  DownloadProgress snapshot() const {
    DownloadProgress now{.done = offset + written, .total = total};
    curl_off_t speed = 0;
    curl_easy_getinfo(curl, CURLINFO_SPEED_DOWNLOAD_T, &speed);
    now.bytes_per_second = static_cast<double>(speed);
    if (total && speed > 0 && *total >= now.done)
      now.eta_seconds = static_cast<double>(*total - now.done) / now.bytes_per_second;
    return now;
  }
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) transfer.disposition_name.clear();  // a new response: a redirect's target
  if (const auto colon = line.find(':'); colon != std::string_view::npos &&
                                         lower(std::string(line.substr(0, colon))) == "content-disposition")
    transfer.disposition_name = content_disposition_name(trimmed(line.substr(colon + 1)));
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (!transfer.file && !transfer.open_part()) return 0;
  if (std::fwrite(data, 1, bytes, transfer.file) != bytes) {
    transfer.failure = "cannot write " + transfer.part.string() + ": " + std::strerror(errno);
    return 0;
  }
  transfer.written += bytes;
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.progress && !transfer.progress(transfer.snapshot())) {
    transfer.cancelled = true;
    return 1;
  }
  return 0;
}

std::string http_error(const std::string& url, long status) {
  const std::string code = "HTTP " + std::to_string(status);
  if (status == 404)
    return url + ": not found (" + code + "); check the address (for Hugging Face: OWNER/REPO and the file's path in it)";
  if (status == 401 || status == 403)
    return url + ": access refused (" + code + "); a token may be needed: gated and private Hugging Face repositories " +
           "need an access token, and gated ones the model's licence accepted on its page (Hugging Face also answers " +
           "401 for a repository that does not exist: check its name)";
  return url + ": the server answered " + code;
}

// libcurl's message for a failed transfer, with what a user can do about it.
std::string transfer_error(const Transfer& transfer, CURLcode code, const char* details) {
  std::string message = "cannot download " + transfer.request.url + ": " + curl_easy_strerror(code);
  if (*details && std::string_view(details) != curl_easy_strerror(code)) message += std::string(" (") + details + ")";
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return message + "; check the address and the network connection";
    case CURLE_COULDNT_CONNECT:
      return message + "; no server answered: check the address, the network connection or the proxy";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      return message + "; the secure (TLS) connection failed: the server's certificate could not be verified";
    case CURLE_TOO_MANY_REDIRECTS:
      return message + "; the server redirected more than " + std::to_string(kMaxRedirects) + " times";
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT: {
      const auto done = transfer.offset + transfer.written;
      message += "; the transfer stopped after " + format_bytes(done);
      if (transfer.total) message += " of " + format_bytes(*transfer.total);
      return message + (done > 0 ? "; download again to resume from " + transfer.part.string() : std::string());
    }
    default:
      return message;
  }
}

enum class Outcome { Complete, RangeNotSatisfiable };

Outcome transfer_part(Transfer& transfer) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  std::unique_ptr<CURL, CurlDeleter> curl(initialised ? curl_easy_init() : nullptr);
  if (!curl) throw Error("cannot download " + transfer.request.url + ": libcurl could not be initialised");
  transfer.curl = curl.get();
  std::unique_ptr<curl_slist, CurlDeleter> headers;
  if (!transfer.request.token.empty())
    headers.reset(curl_slist_append(nullptr, ("Authorization: Bearer " + transfer.request.token).c_str()));
  char details[CURL_ERROR_SIZE] = "";
  const std::string range = std::to_string(transfer.offset) + "-";

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, transfer.request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(handle, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, details);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "atelier/" ATELIER_VERSION);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, kStalledSeconds);
  // libcurl sends a custom Authorization header to the first host only, never to a redirect's CDN.
  if (headers) curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  // CURLOPT_RANGE rather than RESUME_FROM: a 200 answer is then ours to handle (start over).
  if (transfer.offset > 0) curl_easy_setopt(handle, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);

  const CURLcode code = curl_easy_perform(handle);
  if (transfer.cancelled) throw Cancelled();
  if (!transfer.failure.empty()) throw Error(transfer.failure);
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    if (status == 416 && transfer.offset > 0) return Outcome::RangeNotSatisfiable;
    throw Error(http_error(transfer.request.url, status));
  }
  if (code != CURLE_OK) throw Error(transfer_error(transfer, code, details));
  if (!transfer.file && !transfer.open_part()) throw Error(transfer.failure);  // an empty file has no body
  if (std::fclose(std::exchange(transfer.file, nullptr)) != 0)
    throw Error("cannot write " + transfer.part.string() + ": " + std::strerror(errno));
  if (transfer.progress) transfer.progress(transfer.snapshot());
  return Outcome::Complete;
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.2f %s", value, kUnits[unit]);
  return text;
}

std::string file_name_from_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) url = url.substr(scheme + 3);
  const auto slash = url.rfind('/');
  return slash == std::string_view::npos ? std::string() : plain_file_name(percent_decode(url.substr(slash + 1)));
}

std::string hugging_face_url(std::string_view repo, std::string_view file) {
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == repo.size() || repo.find('/', slash + 1) != std::string_view::npos)
    throw InvalidArgument("'" + std::string(repo) + "' is not a Hugging Face repository: expected OWNER/NAME");
  while (file.starts_with('/')) file.remove_prefix(1);
  if (file.empty()) throw InvalidArgument("no file named in Hugging Face repository " + std::string(repo));
  const char* endpoint = std::getenv("HF_ENDPOINT");
  std::string base = endpoint && *endpoint ? endpoint : "https://huggingface.co";
  while (base.ends_with('/')) base.pop_back();
  return base + "/" + percent_encode_path(repo) + "/resolve/main/" + percent_encode_path(file);
}

fs::path download_model(const DownloadRequest& request, const DownloadProgressCallback& progress) {
  const std::string expected = lower(request.sha256);
  if (!expected.empty() && (expected.size() != 64 || !is_hex(expected)))
    throw InvalidArgument("sha256 '" + request.sha256 + "' is not 64 hexadecimal digits");
  const std::string given = plain_file_name(request.file_name);
  if (!request.file_name.empty() && given != request.file_name)
    throw InvalidArgument("file name '" + request.file_name + "' is not a plain file name");
  std::error_code error;
  fs::create_directories(request.destination, error);
  if (error) throw Error("cannot create " + request.destination.string() + ": " + error.message());
  // The name the file will most likely have (a server's Content-Disposition may still rename it).
  const std::string url_name = file_name_from_url(request.url);
  if (const std::string likely = given.empty() ? url_name : given; !likely.empty() && fs::exists(request.destination / likely))
    throw Error((request.destination / likely).string() + " already exists; remove it to download it again");

  const fs::path part = request.destination / ((given.empty() ? (url_name.empty() ? "download" : url_name) : given) + ".part");
  Transfer transfer{.request = request, .progress = progress, .part = part};
  const auto attempt = [&] {
    transfer.offset = fs::exists(part) ? fs::file_size(part) : 0;
    transfer.written = 0;
    transfer.total.reset();
    return transfer_part(transfer);
  };
  try {
    // A .part the server says reaches the file's end or beyond (416): start over, without a Range.
    if (attempt() == Outcome::RangeNotSatisfiable) {
      remove_quietly(part);
      attempt();
    }
  } catch (const Cancelled&) {
    remove_quietly(part);
    throw;
  }

  const std::string name = !given.empty() ? given : !transfer.disposition_name.empty() ? transfer.disposition_name : url_name;
  if (name.empty())
    throw Error(request.url + " names no file and the server sent no Content-Disposition filename; give a file name");
  if (!expected.empty()) {
    const std::string got = sha256_file(part);
    if (got != expected) {
      remove_quietly(part);
      throw Error(request.url + ": sha256 mismatch: expected " + expected + ", got " + got + "; the download was deleted");
    }
  }
  const fs::path target = request.destination / name;
  if (fs::exists(target))
    throw Error(target.string() + " already exists; the download is kept as " + part.string());
  fs::rename(part, target, error);
  if (error) throw Error("cannot rename " + part.string() + " to " + target.string() + ": " + error.message());
  return target;
}

}  // namespace atelier
