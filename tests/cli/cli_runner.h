#pragma once
// Running atelier-cli from a test as a user would: a child process, stdout and stderr captured.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/io/png.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"

namespace atelier::cli_test {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

// A private home for the CLI: its hash cache, data (the default model library) and config folders.
struct Home {
  test::TempDir dir;
  test::ScopedEnv cache{"XDG_CACHE_HOME", (dir / "cache").string()};
  test::ScopedEnv data{"XDG_DATA_HOME", (dir / "data").string()};
  test::ScopedEnv config{"XDG_CONFIG_HOME", (dir / "config").string()};
};

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Starts atelier-cli with `args`, its output going to files under `dir`; returns its pid.
inline pid_t start_cli(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen((dir / "stdout.txt").c_str(), "w", stdout) ||
        !std::freopen((dir / "stderr.txt").c_str(), "w", stderr))
      _exit(126);
    std::vector<char*> argv{const_cast<char*>(ATELIER_CLI_PATH)};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(ATELIER_CLI_PATH, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the process start_cli() started and collects what it printed.
inline Outcome finish_cli(pid_t pid, const std::filesystem::path& dir) {
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_all(dir / "stdout.txt"),
          read_all(dir / "stderr.txt")};
}

inline Outcome run_cli(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  return finish_cli(start_cli(args, dir), dir);
}

// In a folder of its own for the captured output.
inline Outcome run_cli(const std::vector<std::string>& args) {
  test::TempDir dir;
  return run_cli(args, dir.path());
}

// The A1111 `parameters` text of a PNG the CLI wrote; empty without one.
inline std::string a1111_text(const std::filesystem::path& png) {
  for (const auto& text : read_png_texts(png))
    if (text.keyword == "parameters") return text.text;
  return {};
}

}  // namespace atelier::cli_test
