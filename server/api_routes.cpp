#include "server/api_routes.h"

#include <chrono>

#include "core/error.h"
#include "core/gallery/a1111_parameters.h"
#include "core/gallery/image_output.h"
#include "core/gallery/output_folder.h"
#include "core/io/png.h"
#include "core/io/safetensors.h"
#include "core/io/system_memory.h"
#include "core/networks/textual_inversion.h"
#include "core/pipeline/hires_fix.h"
#include "core/sampling/sampler_registry.h"
#include "server/api_error.h"
#include "server/base64.h"
#include "server/extras_request.h"
#include "server/generation_response.h"
#include "server/json_fields.h"
#include "server/temp_folder.h"

namespace atelier::server {
namespace {

using nlohmann::json;

json path_or_null(const std::optional<std::filesystem::path>& path) { return path ? json(path->string()) : json(); }

// A1111's internal scheduler name: its label in lower case, spaces as '_' ("SGM Uniform" -> "sgm_uniform").
std::string schedule_name(ScheduleType type) {
  std::string name(to_string(type));
  for (char& c : name) c = c == ' ' ? '_' : char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

json samplers() {
  json out = json::array();
  for (const auto& spec : atelier::samplers()) {
    json options = json::object();
    if (spec.automatic_schedule != ScheduleType::Uniform) options["scheduler"] = schedule_name(spec.automatic_schedule);
    if (spec.discard_penultimate_sigma) options["discard_next_to_last_sigma"] = true;
    out.push_back({{"name", spec.name}, {"aliases", {spec.alias}}, {"options", options}});
  }
  return out;
}

// modules/sd_schedulers.py: which need the model's own sigmas, Karras's and Polyexponential's rho.
json schedulers() {
  json out = json::array();
  for (const auto type : schedule_types()) {
    const bool inner = type == ScheduleType::Uniform || type == ScheduleType::SgmUniform || type == ScheduleType::Simple ||
                       type == ScheduleType::Normal || type == ScheduleType::Ddim;
    const double rho = type == ScheduleType::Karras ? 7.0 : type == ScheduleType::Polyexponential ? 1.0 : -1.0;
    out.push_back({{"name", schedule_name(type)},
                   {"label", to_string(type)},
                   {"aliases", type == ScheduleType::SgmUniform ? json{"SGMUniform"} : json()},
                   {"default_rho", rho},
                   {"need_inner_model", inner}});
  }
  return out;
}

// A1111's built-in entries, then the library's upscaler models as its ESRGAN scaler names them
// (by file name without extension; A1111 assumes 4x for them as well).
// A network's safetensors metadata as A1111's /sdapi/v1/loras gives it (read_metadata_from_safetensors):
// values that open with '{' parsed as JSON where they parse; {} for other files and unreadable ones.
json network_metadata(const std::filesystem::path& file) {
  json out = json::object();
  if (file.extension() != ".safetensors") return out;
  try {
    const SafetensorsFile network(file);
    for (const auto& [key, value] : network.metadata()) {
      json parsed = value.starts_with("{") ? json::parse(value, nullptr, /*allow_exceptions=*/false) : json();
      out[key] = parsed.is_discarded() || parsed.is_null() ? json(value) : parsed;
    }
  } catch (const std::exception&) {
    return json::object();  // A1111 lists such a file with no metadata
  }
  return out;
}

json upscalers(const ModelCatalog& catalog) {
  json out = json::array();
  for (const auto name : kBuiltInUpscalers)
    out.push_back({{"name", name}, {"model_name", nullptr}, {"model_path", nullptr}, {"model_url", nullptr}, {"scale", 4}});
  for (const auto& entry : catalog.entries(ModelKind::Upscaler))
    out.push_back({{"name", entry.stem}, {"model_name", "ESRGAN"}, {"model_path", entry.path.string()},
                   {"model_url", nullptr}, {"scale", 4}});
  return out;
}

json latent_upscale_modes() {
  json out = json::array();
  for (const auto& name : latent_upscale_mode_names()) out.push_back({{"name", name}});
  return out;
}

json memory() {
  json ram;
  if (const auto usage = ram_usage())
    ram = {{"free", usage->total - usage->used}, {"used", usage->used}, {"total", usage->total}};
  else
    ram = {{"error", "unavailable"}};
  return {{"ram", ram}, {"cuda", {{"error", "unavailable"}}}};
}

// A1111's parse_generation_parameters: "Prompt", "Negative prompt", then the settings as text,
// a size "512x512" as "Size-1" and "Size-2".
json parsed_parameters(const std::string& text) {
  const A1111Parameters parsed = parse_a1111_parameters(text);
  json out = {{"Prompt", parsed.prompt}, {"Negative prompt", parsed.negative_prompt}};
  for (const auto& [key, value] : parsed.fields) {
    const auto x = value.find('x');
    const bool size = x != std::string::npos && x > 0 && x + 1 < value.size() &&
                      value.find_first_not_of("0123456789x") == std::string::npos && value.find('x', x + 1) == std::string::npos;
    if (size) {
      out[key + "-1"] = value.substr(0, x);
      out[key + "-2"] = value.substr(x + 1);
    } else {
      out[key] = value;
    }
  }
  return out;
}

// The day's folder under `root`, A1111's numbered names in it.
void save_images(const std::filesystem::path& root, const GenerationOutcome& outcome) {
  const auto paths = sequential_outputs(dated_folder(root, std::chrono::system_clock::now()), outcome.images);
  for (std::size_t i = 0; i < paths.size(); ++i) save_generated_image(paths[i], outcome.images[i], outcome.run);
}

}  // namespace

ApiRoutes::ApiRoutes(ModelCatalog& catalog, JobRunner& runner, ServerOptions options, std::filesystem::path output_root)
    : catalog_(catalog), runner_(runner), output_root_(std::move(output_root)), options_(std::move(options)) {
  routes_ = {
      {"POST", "/sdapi/v1/txt2img", "Text to image", [this](const ApiCall& c) { return generate(RequestKind::Txt2Img, c.body); }},
      {"POST", "/sdapi/v1/img2img", "Image to image", [this](const ApiCall& c) { return generate(RequestKind::Img2Img, c.body); }},
      {"POST", "/sdapi/v1/png-info", "Read an image's generation parameters", [this](const ApiCall& c) { return png_info(c.body); }},
      {"POST", "/sdapi/v1/extra-single-image", "Upscale an image (the extras tab)",
       [this](const ApiCall& c) { return extras_single_image(c.body); }},
      {"GET", "/sdapi/v1/progress", "Progress of the running generation", [this](const ApiCall& c) { return progress(c); }},
      {"POST", "/sdapi/v1/interrupt", "Stop the running generation", [this](const ApiCall&) { runner_.interrupt(); return json::object(); }},
      {"POST", "/sdapi/v1/skip", "Skip the running batch", [this](const ApiCall&) { runner_.skip(); return json(); }},
      {"GET", "/sdapi/v1/options", "Settings", [this](const ApiCall&) { return this->options(); }},
      {"POST", "/sdapi/v1/options", "Change settings", [this](const ApiCall& c) { return set_options(c.body); }},
      {"GET", "/sdapi/v1/sd-models", "Checkpoints", [this](const ApiCall&) { return sd_models(); }},
      {"POST", "/sdapi/v1/refresh-checkpoints", "Scan the model library again", [this](const ApiCall&) { catalog_.refresh(); return json(); }},
      {"GET", "/sdapi/v1/samplers", "Samplers", [](const ApiCall&) { return samplers(); }},
      {"GET", "/sdapi/v1/schedulers", "Schedule types", [](const ApiCall&) { return schedulers(); }},
      {"GET", "/sdapi/v1/sd-vae", "VAEs", [this](const ApiCall&) {
         json out = json::array();
         for (const auto& e : catalog_.entries(ModelKind::Vae)) out.push_back({{"model_name", e.file_name}, {"filename", e.path.string()}});
         return out;
       }},
      {"GET", "/sdapi/v1/loras", "LoRA and LyCORIS networks", [this](const ApiCall&) {
         json out = json::array();
         for (const auto& e : catalog_.entries(ModelKind::Lora))
           out.push_back({{"name", e.stem}, {"alias", e.alias.empty() ? e.stem : e.alias}, {"path", e.path.string()},
                          {"metadata", network_metadata(e.path)}});
         return out;
       }},
      {"GET", "/sdapi/v1/embeddings", "Textual-inversion embeddings", [this](const ApiCall&) { return embeddings(); }},
      {"GET", "/sdapi/v1/upscalers", "Upscalers", [this](const ApiCall&) { return upscalers(catalog_); }},
      {"GET", "/sdapi/v1/latent-upscale-modes", "Latent upscale modes", [](const ApiCall&) { return latent_upscale_modes(); }},
      {"GET", "/sdapi/v1/memory", "Memory in use", [](const ApiCall&) { return memory(); }},
  };
}

json ApiRoutes::openapi() const {
  json paths = json::object();
  for (const auto& route : routes_) {
    std::string method = route.method;
    for (char& c : method) c = char(std::tolower(static_cast<unsigned char>(c)));
    paths[route.path][method] = {{"summary", route.summary}, {"responses", {{"200", {{"description", "Successful Response"}}}}}};
  }
  return {{"openapi", "3.0.2"}, {"info", {{"title", "Atelier"}, {"version", ATELIER_VERSION}}}, {"paths", paths}};
}

ServerOptions ApiRoutes::current_options() {
  std::lock_guard lock(options_mutex_);
  return options_;
}

json ApiRoutes::generate(RequestKind kind, const json& body) {
  const GenerationRequest request = parse_generation_request(kind, body, current_options(), catalog_);
  const GenerationOutcome outcome = runner_.submit(request).get();
  update_options(request, outcome);
  if (request.save_images) save_images(output_root_, outcome);
  return generation_response(request, outcome);
}

void ApiRoutes::update_options(const GenerationRequest& request, const GenerationOutcome& outcome) {
  std::lock_guard lock(options_mutex_);
  if (request.keep_options) options_ = request.options;
  const auto current = catalog_.find_checkpoint(options_.sd_model_checkpoint);
  if (current && current->entry.path == outcome.checkpoint.entry.path) {
    options_.sd_model_checkpoint = outcome.checkpoint.title;
    options_.sd_checkpoint_hash = outcome.checkpoint.sha256.value_or("");
  }
}

json ApiRoutes::extras_single_image(const json& body) {
  const ExtrasRequest request = parse_extras_request(body, catalog_);
  return runner_.submit_task<json>("extras", [this, request] { return run_extras(request, catalog_); }).get();
}

json ApiRoutes::png_info(const json& body) {
  const JsonFields fields(body);
  const auto image = fields.string("image");
  if (!image) throw FieldError("image", "required: a base64 image");
  const auto bytes = base64_decode(*image);
  if (!bytes || bytes->empty()) throw FieldError("image", "not valid base64");
  const TempFolder folder;
  const auto path = folder.write("image", *bytes);
  try {
    image_dimensions(path);
  } catch (const FormatError&) {
    throw FieldError("image", "not a PNG, JPEG or BMP image");
  }
  const auto texts = png_texts_if_any(path);  // a JPEG or BMP has none
  std::string info;
  json items = json::object();
  for (const auto& text : texts) {
    if (text.keyword == "parameters") info = text.text;
    else items[text.keyword] = text.text;
  }
  return {{"info", info}, {"items", items}, {"parameters", info.empty() ? json::object() : parsed_parameters(info)}};
}

json ApiRoutes::progress(const ApiCall& call) {
  const auto skip = call.query.find("skip_current_image");
  const bool with_image = skip == call.query.end() || (skip->second != "true" && skip->second != "True" && skip->second != "1");
  const ProgressSnapshot s = runner_.progress(with_image);
  const json state = {{"skipped", s.skipped},         {"interrupted", s.interrupted},       {"stopping_generation", false},
                      {"job", s.job},                 {"job_count", s.job_count},           {"job_timestamp", s.job_timestamp},
                      {"job_no", s.job_no},           {"sampling_step", s.sampling_step},   {"sampling_steps", s.sampling_steps},
                      {"queued", s.queued}};
  const json textinfo = s.textinfo ? json(*s.textinfo) : json();
  if (!s.busy || s.job_count == 0)
    return {{"progress", 0}, {"eta_relative", 0}, {"state", state}, {"current_image", nullptr}, {"textinfo", textinfo}};
  // A1111's check_progress_call: 0.01 so that the ETA never divides by zero.
  double progress = 0.01 + double(s.job_no) / s.job_count;
  if (s.sampling_steps > 0) progress += 1.0 / s.job_count * s.sampling_step / s.sampling_steps;
  const double eta = s.elapsed_seconds / progress - s.elapsed_seconds;
  return {{"progress", std::min(progress, 1.0)},
          {"eta_relative", eta},
          {"state", state},
          {"current_image", s.current_image ? json(*s.current_image) : json()},
          {"textinfo", textinfo}};
}

json ApiRoutes::options() { return options_json(current_options()); }

json ApiRoutes::set_options(const json& body) {
  std::lock_guard lock(options_mutex_);
  options_ = apply_options(options_, body, catalog_);
  return nullptr;
}

json ApiRoutes::sd_models() {
  json out = json::array();
  for (const auto& item : catalog_.checkpoints())
    out.push_back({{"title", item.title},
                   {"model_name", item.model_name},
                   {"hash", item.hash ? json(*item.hash) : json()},
                   {"sha256", item.sha256 ? json(*item.sha256) : json()},
                   {"filename", item.entry.path.string()},
                   {"config", path_or_null(item.config)}});
  return out;
}

// A1111's embedding_db: those made for the loaded model's family are "loaded", others "skipped".
json ApiRoutes::embeddings() {
  const auto loaded = runner_.loaded_checkpoint();
  json out = {{"loaded", json::object()}, {"skipped", json::object()}};
  for (const auto& entry : catalog_.entries(ModelKind::Embedding)) {
    TextualInversion embedding;
    try {
      embedding = read_textual_inversion(entry.path);
    } catch (const Error&) {
      continue;  // A1111 leaves out the files it cannot read
    }
    if (embedding.vectors.empty()) continue;
    const auto& vectors = embedding.vectors.begin()->second;
    const bool fits = !loaded || entry.family == ModelFamily::Unknown || entry.family == loaded->entry.family;
    out[fits ? "loaded" : "skipped"][embedding.name] = {{"step", nullptr},
                                                        {"sd_checkpoint", nullptr},
                                                        {"sd_checkpoint_name", nullptr},
                                                        {"shape", vectors.size(-1)},
                                                        {"vectors", embedding.count}};
  }
  return out;
}

}  // namespace atelier::server
