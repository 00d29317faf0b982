#pragma once
// A1111's TextToImageResponse / ImageToImageResponse: `images` (base64 PNGs carrying their
// infotext), `parameters` (the request's fields) and `info`, a JSON *string* of
// modules/processing.py Processed.js().
#include <nlohmann/json.hpp>
#include <string>

#include "server/generation_request.h"
#include "server/job_runner.h"

namespace atelier::server {

nlohmann::json generation_response(const GenerationRequest& request, const GenerationOutcome& outcome);

// The image as the API sends it: a PNG with the same text chunks a saved image has, base64.
std::string image_base64(const GeneratedImage& image, const RunInfo& run);

}  // namespace atelier::server
