#pragma once
// The system's words for an errno value, for messages that name the file: "No space left on device".
#include <string>
#include <system_error>

namespace atelier {

inline std::string system_error_text(int error) { return std::generic_category().message(error); }

}  // namespace atelier
