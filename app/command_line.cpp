#include "app/command_line.h"

#include <charconv>

#include "core/error.h"

namespace atelier::cli {
namespace {

template <typename Number>
Number parse_number(const std::string& name, const std::string& text) {
  Number result{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (error != std::errc() || end != text.data() + text.size())
    throw InvalidArgument("--" + name + ": '" + text + "' is not a valid number");
  return result;
}

}  // namespace

CommandLine::CommandLine(std::vector<std::string> args, std::set<std::string> flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--") || arg == "--") {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      values_[name.substr(0, eq)].push_back(name.substr(eq + 1));
    } else if (flags.count(name)) {
      given_flags_.insert(name);
    } else if (i + 1 < args.size()) {
      values_[name].push_back(args[++i]);
    } else {
      throw InvalidArgument("--" + name + " needs a value");
    }
  }
}

std::optional<std::string> CommandLine::value(const std::string& name) {
  read_.insert(name);
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> CommandLine::values(const std::string& name) {
  read_.insert(name);
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string CommandLine::value_or(const std::string& name, const std::string& fallback) {
  return value(name).value_or(fallback);
}

int CommandLine::int_value_or(const std::string& name, int fallback) {
  auto text = value(name);
  return text ? parse_number<int>(name, *text) : fallback;
}

std::int64_t CommandLine::int64_value_or(const std::string& name, std::int64_t fallback) {
  auto text = value(name);
  return text ? parse_number<std::int64_t>(name, *text) : fallback;
}

double CommandLine::double_value_or(const std::string& name, double fallback) {
  auto text = value(name);
  return text ? parse_number<double>(name, *text) : fallback;
}

bool CommandLine::flag(const std::string& name) {
  read_.insert(name);
  return given_flags_.count(name) > 0;
}

void CommandLine::reject_unknown() const {
  for (const auto& [name, _] : values_)
    if (!read_.count(name)) throw InvalidArgument("unknown option --" + name);
  for (const auto& name : given_flags_)
    if (!read_.count(name)) throw InvalidArgument("unknown option --" + name);
}

}  // namespace atelier::cli
