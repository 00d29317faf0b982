#pragma once
// Downloads a model file into a library folder over HTTP(S) (libcurl): redirects followed, an
// interrupted download resumed from its FILE.part with a Range request, the free disk space checked
// against the announced size before the first byte is written, the sha256 verified before the .part
// becomes FILE, an optional bearer token for gated Hugging Face repositories, and cancel.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace atelier {

struct DownloadProgress {
  std::uint64_t done = 0;                 // bytes of the file on disk, a resumed .part's included
  std::optional<std::uint64_t> total{};   // the file's size when the server announced it
  double bytes_per_second = 0;            // the average of this transfer
  std::optional<double> eta_seconds{};    // when the total and a speed are known
};

// Called often during the transfer (also while no bytes arrive, so that a cancel is seen) and once
// more when it is complete. `done` never decreases, except once to 0 when a server ignores the Range
// of a resumed download and sends the whole file again. Returning false cancels the download.
using DownloadProgressCallback = std::function<bool(const DownloadProgress&)>;

struct DownloadRequest {
  std::string url{};
  std::filesystem::path destination{};  // a folder, created when missing
  std::string file_name{};              // empty: the server's Content-Disposition filename, else the URL's last path segment
  std::string sha256{};                 // expected hex digest; empty: not checked
  std::string token{};                  // sent as "Authorization: Bearer TOKEN" when not empty
};

// Downloads `request.url` and returns the path of the finished file. Throws Error with a message
// naming the URL for HTTP errors (404; 401/403 saying a token may be needed), connection errors,
// too little disk space (both sizes named) and a sha256 mismatch (the .part is deleted; both
// digests named). A transfer cut short keeps its .part: the same request resumes it. Throws
// Cancelled when `progress` returns false; the .part is deleted then, so nothing is left.
std::filesystem::path download_model(const DownloadRequest& request, const DownloadProgressCallback& progress = {});

// The URL huggingface_hub downloads `file` (sub-folders allowed) of repository `repo` ("OWNER/NAME")
// from: {HF_ENDPOINT, default https://huggingface.co}/OWNER/NAME/resolve/main/FILE, percent-encoded.
// Throws InvalidArgument when repo is not OWNER/NAME or file is empty.
std::string hugging_face_url(std::string_view repo, std::string_view file);

// A byte count for people: "512 B", "4.27 GB" (decimal units, as Hugging Face shows sizes).
std::string format_bytes(std::uint64_t bytes);

// The file name a URL's path ends with, percent-decoded; empty when it ends with '/'.
std::string file_name_from_url(std::string_view url);

}  // namespace atelier
