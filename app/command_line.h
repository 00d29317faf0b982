#pragma once
// A small command-line reader: `--name value`, `--name=value`, `--flag`, and positionals.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace atelier::cli {

class CommandLine {
 public:
  // `flags` take no value; every other `--name` takes one. Unknown names are rejected by
  // reject_unknown() once the command has read what it knows.
  CommandLine(std::vector<std::string> args, std::set<std::string> flags);

  std::optional<std::string> value(const std::string& name);  // the last one given
  std::vector<std::string> values(const std::string& name);   // every one given, in order
  std::string value_or(const std::string& name, const std::string& fallback);
  int int_value_or(const std::string& name, int fallback);
  std::int64_t int64_value_or(const std::string& name, std::int64_t fallback);
  double double_value_or(const std::string& name, double fallback);
  bool flag(const std::string& name);
  std::vector<std::string> positionals() const { return positionals_; }

  // Throws InvalidArgument naming an option given but never read.
  void reject_unknown() const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> given_flags_;
  std::set<std::string> read_;
  std::vector<std::string> positionals_;
};

}  // namespace atelier::cli
