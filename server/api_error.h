#pragma once
// An answer other than 200, as A1111's API gives it: HTTPException's status and detail, or
// FastAPI's validation error naming the field.
#include <stdexcept>
#include <string>

namespace atelier::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string detail) : std::runtime_error(detail), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// A field of the request that cannot be used (wrong type, out of range, not run by Atelier):
// 422 naming the field, as FastAPI reports a validation error.
class FieldError : public ApiError {
 public:
  FieldError(std::string field, const std::string& message)
      : ApiError(422, field + ": " + message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace atelier::server
