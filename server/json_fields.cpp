#include "server/json_fields.h"

#include <charconv>
#include <cmath>

#include "server/api_error.h"

namespace atelier::server {
namespace {

std::string kind_of(const nlohmann::json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "an object";
  return "null";
}

}  // namespace

JsonFields::JsonFields(const nlohmann::json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {
  if (!object_.is_object())
    throw FieldError(prefix_.empty() ? "body" : prefix_, "expected a JSON object, got " + kind_of(object_));
}

const nlohmann::json* JsonFields::value(const std::string& name) const {
  const auto it = object_.find(name);
  return it == object_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> JsonFields::string(const std::string& name) const {
  const auto* v = value(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw FieldError(field(name), "expected a string, got " + kind_of(*v));
  return v->get<std::string>();
}

std::optional<std::int64_t> JsonFields::integer(const std::string& name) const {
  const auto* v = value(name);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e18) return static_cast<std::int64_t>(d);
  } else if (v->is_string()) {
    const auto& text = v->get_ref<const std::string&>();
    std::int64_t parsed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return parsed;
  }
  throw FieldError(field(name), "expected an integer, got " + (v->is_string() || v->is_number() ? v->dump() : kind_of(*v)));
}

std::optional<double> JsonFields::number(const std::string& name) const {
  const auto* v = value(name);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const auto& text = v->get_ref<const std::string&>();
    double parsed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty() && std::isfinite(parsed)) return parsed;
  }
  throw FieldError(field(name), "expected a number, got " + (v->is_string() ? v->dump() : kind_of(*v)));
}

std::optional<bool> JsonFields::boolean(const std::string& name) const {
  const auto* v = value(name);
  if (!v) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  throw FieldError(field(name), "expected true or false, got " + kind_of(*v));
}

std::optional<std::int64_t> JsonFields::integer_in(const std::string& name, std::int64_t min, std::int64_t max) const {
  const auto v = integer(name);
  if (v && (*v < min || *v > max))
    throw FieldError(field(name), std::to_string(*v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

std::optional<double> JsonFields::number_in(const std::string& name, double min, double max) const {
  const auto v = number(name);
  if (v && !(*v >= min && *v <= max)) {
    auto text = [](double d) { return nlohmann::json(d).dump(); };
    throw FieldError(field(name), text(*v) + " is out of range " + text(min) + ".." + text(max));
  }
  return v;
}

}  // namespace atelier::server
