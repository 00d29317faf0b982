#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_commands.h"
#include "app/cli_interrupt.h"
#include "app/cli_library.h"
#include "core/error.h"
#include "core/library/library_roots.h"
#include "core/library/library_settings.h"
#include "core/library/model_download.h"
#include "core/library/starter_models.h"

namespace atelier::cli {
namespace {

// The entry's hashes: remembered ones, else computed unless `compute` is false (first listing of
// a large library takes minutes: it says so on stderr).
std::optional<ModelHashes> entry_hashes(ModelLibrary& library, const LibraryEntry& entry, bool compute) {
  if (entry.hashes || entry.diffusers_folder || !compute) return entry.hashes;
  std::cerr << "atelier-cli models: hashing " << entry.path.string() << "\n";
  try {
    return library.hashes(entry);
  } catch (const Error& e) {
    std::cerr << "atelier-cli models: " << e.what() << "\n";
    return std::nullopt;
  }
}

nlohmann::json text_or_null(const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); }

std::string family_text(ModelFamily family) {
  return family == ModelFamily::Unknown ? std::string() : std::string(family_name(family));
}

void print_json(ModelLibrary& library, const std::vector<LibraryEntry>& entries, bool compute) {
  auto list = nlohmann::json::array();
  for (const auto& entry : entries) {
    const auto hashes = entry_hashes(library, entry, compute);
    list.push_back({{"kind", kind_name(entry.kind)},
                    {"name", entry.name},
                    {"path", entry.path.string()},
                    {"family", text_or_null(family_text(entry.family))},
                    {"sha256", text_or_null(hashes ? hashes->sha256 : "")},
                    {"autov2", text_or_null(hashes ? hashes->autov2() : "")}});
  }
  std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Root by root, one aligned line an entry: kind, family, name, AutoV2, path.
void print_table(ModelLibrary& library, const std::vector<LibraryEntry>& entries, bool compute) {
  std::size_t kind_width = 0, family_width = 0, name_width = 0;
  for (const auto& entry : entries) {
    kind_width = std::max(kind_width, kind_name(entry.kind).size());
    family_width = std::max(family_width, std::max<std::size_t>(family_text(entry.family).size(), 1));
    name_width = std::max(name_width, entry.name.size());
  }
  const auto pad = [](const std::string& text, std::size_t width) { return text + std::string(width - text.size() + 2, ' '); };
  for (const auto& root : library.roots()) {
    std::cout << root.path.string() << " (" << layout_name(root.layout) << ")\n";
    for (const auto& entry : entries) {
      if (entry.root != root.path) continue;
      const auto hashes = entry_hashes(library, entry, compute);
      const std::string family = family_text(entry.family);
      std::cout << "  " << pad(std::string(kind_name(entry.kind)), kind_width) << pad(family.empty() ? "-" : family, family_width)
                << pad(entry.name, name_width) << pad(hashes ? hashes->autov2() : "-", 10) << entry.path.string() << "\n";
    }
  }
}

std::optional<ModelKind> kind_option(CommandLine& args) {
  const auto text = args.value("kind");
  std::optional<ModelKind> kind;
  if (text && !(kind = parse_model_kind(*text)))
    throw InvalidArgument("--kind: '" + *text + "' is none of checkpoint, lora, lycoris, embedding, vae, upscaler, taesd");
  return kind;
}

int list_models(CommandLine& args) {
  ModelLibrary library(library_roots(args));
  const bool json = args.flag("json");
  const bool compute = !args.flag("no-hash");
  const auto kind = kind_option(args);
  args.reject_unknown();

  library.scan();
  for (const auto& root : library.roots())
    for (const auto& problem : root.problems) std::cerr << "atelier-cli models: " << problem << "\n";
  const auto entries = kind ? library.entries(*kind) : library.entries();
  if (json) print_json(library, entries, compute);
  else print_table(library, entries, compute);
  return 0;
}

std::string size_text(std::uint64_t size) { return size ? format_bytes(size) : "size unknown"; }

int list_starters(CommandLine& args) {
  args.reject_unknown();
  for (const auto& model : starter_models())
    std::cout << model.name << "  " << model.title << "  (" << kind_name(model.kind) << ", " << size_text(model.size)
              << ")  licence: " << model.licence << "\n    " << starter_model_url(model) << "\n";
  return 0;
}

std::string duration_text(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  else std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  return text;
}

// Progress on stderr: on a terminal one line rewritten in place at most 5 times a second (bytes,
// share, speed, ETA); elsewhere (a log) only that line once the file is complete.
class ProgressLine {
 public:
  explicit ProgressLine(const std::atomic<bool>& interrupted) : interrupted_(interrupted) {}

  bool update(const DownloadProgress& progress) {
    const auto now = std::chrono::steady_clock::now();
    const bool complete = progress.total && progress.done == *progress.total;
    const bool started = progress.done > 0 || progress.total;
    const bool due = !open_ || (complete && progress.done != shown_done_) || now - last_ >= std::chrono::milliseconds(200);
    if (terminal_ && started && due) {
      std::cerr << "\r" << text(progress) << "\x1b[K" << std::flush;
      last_ = now;
      shown_done_ = progress.done;
      open_ = true;
    } else if (!terminal_ && complete && !logged_) {
      std::cerr << text(progress) << "\n";
      logged_ = true;
    }
    return !interrupted_;
  }
  // Ends the terminal's line, when one was written, before anything else is printed.
  void finish() {
    if (std::exchange(open_, false)) std::cerr << "\n";
  }

 private:
  static std::string text(const DownloadProgress& progress) {
    std::string line = format_bytes(progress.done);
    if (progress.total) {
      char share[16];
      std::snprintf(share, sizeof share, "%.1f%%", *progress.total ? 100.0 * progress.done / *progress.total : 100.0);
      line += " / " + format_bytes(*progress.total) + "  " + share;
    }
    line += "  " + format_bytes(static_cast<std::uint64_t>(progress.bytes_per_second)) + "/s";
    if (progress.eta_seconds) line += "  ETA " + duration_text(*progress.eta_seconds);
    return line;
  }

  const std::atomic<bool>& interrupted_;
  const bool terminal_ = isatty(STDERR_FILENO);
  bool open_ = false;
  bool logged_ = false;
  std::uint64_t shown_done_ = 0;
  std::chrono::steady_clock::time_point last_;
};

// models pull (URL | OWNER/REPO FILE | STARTER-NAME): the request, and the starter when one is named.
DownloadRequest pull_request(const std::vector<std::string>& what, std::optional<StarterModel>& starter) {
  const auto plain_name = [](const std::string& file) { return std::filesystem::path(file).filename().string(); };
  if (what.size() == 2) return {.url = hugging_face_url(what[0], what[1]), .file_name = plain_name(what[1])};
  if (what.size() != 1) throw InvalidArgument("expected 'models pull (URL | OWNER/REPO FILE | STARTER-NAME)'");
  if (what[0].find("://") != std::string::npos) return {.url = what[0]};
  if (!(starter = find_starter_model(what[0])))
    throw InvalidArgument("'" + what[0] + "' is neither a URL nor a starter model ('atelier-cli models starters' lists " +
                          "them); a Hugging Face file is given as OWNER/REPO FILE");
  return {.url = starter_model_url(*starter), .file_name = plain_name(starter->file), .sha256 = starter->sha256};
}

int pull_model(CommandLine& args, const std::vector<std::string>& what) {
  const auto sha256 = args.value("sha256");
  const auto dest = args.value("dest");
  auto token = args.value("token");
  auto kind = kind_option(args);
  args.reject_unknown();
  std::optional<StarterModel> starter;
  DownloadRequest request = pull_request(what, starter);
  if (sha256) request.sha256 = *sha256;
  if (!kind) kind = starter ? starter->kind : ModelKind::Checkpoint;
  request.destination = dest ? std::filesystem::path(*dest) : atelier_kind_folder(default_library_folder(), *kind);
  if (!token) {
    if (const char* env = std::getenv("HF_TOKEN"); env && *env) token = env;
  }
  request.token = token.value_or("");

  if (starter)
    std::cerr << starter->title << " (" << size_text(starter->size) << ") is published under the licence: " << starter->licence
              << "\ndownloading it means accepting that licence; see the model's page for its terms\n";
  std::cerr << "downloading " << request.url << " to " << request.destination.string() << "\n";
  ProgressLine line(catch_interrupt());
  try {
    const auto file = download_model(request, [&line](const DownloadProgress& progress) { return line.update(progress); });
    line.finish();
    std::cout << file.string() << "\n";
  } catch (...) {
    line.finish();
    throw;
  }
  return 0;
}

}  // namespace

int run_models(CommandLine& args) {
  const auto positionals = args.positionals();
  const std::string command = positionals.empty() ? "" : positionals[0];
  if (command == "pull") return pull_model(args, {positionals.begin() + 1, positionals.end()});
  if (command == "starters" && positionals.size() == 1) return list_starters(args);
  if (command == "list" && positionals.size() == 1) return list_models(args);
  throw InvalidArgument("expected 'models list', 'models starters' or 'models pull (URL | OWNER/REPO FILE | STARTER-NAME)'");
}

}  // namespace atelier::cli
