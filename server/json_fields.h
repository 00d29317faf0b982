#pragma once
// The fields of a JSON request body, read with the types A1111's pydantic models declare:
// absent or null is "not given" (every field of those models is Optional), a value of another
// type is a FieldError naming the field. Lax as pydantic is: 7.0 is an int, "7" a number.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace atelier::server {

class JsonFields {
 public:
  // FieldError("body") unless `object` is a JSON object. `prefix` names nested objects in
  // errors ("override_settings.sd_vae").
  explicit JsonFields(const nlohmann::json& object, std::string prefix = "");

  // The value when present and not null, else nullptr.
  const nlohmann::json* value(const std::string& name) const;
  bool has(const std::string& name) const { return value(name) != nullptr; }

  std::optional<std::string> string(const std::string& name) const;
  std::optional<std::int64_t> integer(const std::string& name) const;
  std::optional<double> number(const std::string& name) const;
  std::optional<bool> boolean(const std::string& name) const;

  // integer() within [min, max], else FieldError.
  std::optional<std::int64_t> integer_in(const std::string& name, std::int64_t min, std::int64_t max) const;
  // number() within [min, max], else FieldError.
  std::optional<double> number_in(const std::string& name, double min, double max) const;

  // The field's name as errors give it.
  std::string field(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "." + name; }

 private:
  const nlohmann::json& object_;
  std::string prefix_;
};

}  // namespace atelier::server
