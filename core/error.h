#pragma once
// Errors that cross the core's boundary. Each message names what a user can act on:
// the file, the tensor or the field, and what was expected.
#include <stdexcept>
#include <string>

namespace atelier {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file whose content is not what its format promises (corrupt, truncated, hostile).
class FormatError : public Error {
 public:
  using Error::Error;
};

// A well-formed model that Atelier recognises but cannot run (yet).
class UnsupportedModel : public Error {
 public:
  using Error::Error;
};

// A parameter a caller passed that cannot be honoured (size not a multiple of 8, unknown sampler).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A generation stopped on request; nothing was written.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace atelier
