// ComfyUI's `prompt` chunk: the API graph, {"3": {"class_type": "KSampler", "inputs": {"seed":
// 42, "positive": ["6", 0], ...}}, ...}. A link is [node id, output index]. The parameters are
// found by following the links out of the sampler node fed by the empty latent (the first pass);
// a second sampler fed by its upscaled latent or upscaled decoded image is A1111's hires fix.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"

namespace atelier {
namespace {

using nlohmann::json;

// ComfyUI's latent upscale methods that are A1111's latent modes: the same torch interpolate
// (align_corners false, no antialias); "area" and "bislerp" have none.
std::optional<std::string> latent_mode_from_comfyui(std::string_view method) {
  if (method == "bilinear") return "Latent";
  if (method == "bicubic") return "Latent (bicubic)";
  if (method == "nearest-exact") return "Latent (nearest-exact)";
  return std::nullopt;
}

// ComfyUI's image scale methods that are A1111's pixel upscalers.
std::optional<std::string> pixel_upscaler_from_comfyui(std::string_view method) {
  if (method == "lanczos") return "Lanczos";
  if (method == "nearest-exact") return "Nearest";
  return std::nullopt;
}

// Nodes after the sampler that hold no generation parameters.
const std::set<std::string> kOutputNodes{"VAEDecode", "SaveImage", "PreviewImage"};

class GraphReader {
 public:
  explicit GraphReader(const json& graph) : graph_(graph) {}

  ImageMetadata read() {
    metadata_.source = "comfyui";
    metadata_.params.quantize_timesteps = true;  // ComfyUI's model sampling rounds timesteps
    const auto samplers = sampler_ids();
    if (samplers.empty()) {
      metadata_.unmapped.emplace_back("no KSampler or KSamplerAdvanced node");
    } else {
      const std::string first = first_pass(samplers);
      visited_.insert(first);
      read_sampler(graph_[first]);
      if (const auto hires = hires_pass(samplers, first)) {
        visited_.insert(*hires);
        read_hires_pass(graph_[first], graph_[*hires]);
      }
      for (const auto& id : samplers)
        if (!visited_.contains(id))
          metadata_.unmapped.emplace_back("sampler node " + id + " (only node " + first + " was read)");
    }
    for (const auto& [id, node] : graph_.items()) {
      if (!visited_.contains(id) && !kOutputNodes.contains(class_of(node))) {
        metadata_.unmapped.emplace_back("node " + id + " (" + class_of(node) + ")");
      }
    }
    return std::move(metadata_);
  }

 private:
  static std::string class_of(const json& node) {
    const auto type = node.find("class_type");
    return type != node.end() && type->is_string() ? type->get<std::string>() : "?";
  }

  static const json& inputs_of(const json& node) {
    static const json empty = json::object();
    const auto inputs = node.find("inputs");
    return inputs != node.end() && inputs->is_object() ? *inputs : empty;
  }

  static bool is_sampler(const json& node) {
    const std::string type = class_of(node);
    return type == "KSampler" || type == "KSamplerAdvanced";
  }

  std::vector<std::string> sampler_ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, node] : graph_.items())
      if (is_sampler(node)) ids.push_back(id);
    return ids;
  }

  // The id a link input points to, without reading the node; nullopt for a value or a dangling link.
  std::optional<std::string> linked(const json& inputs, const char* name) const {
    const auto link = inputs.find(name);
    if (link == inputs.end() || !link->is_array() || link->empty() || !(*link)[0].is_string()) return std::nullopt;
    const std::string id = (*link)[0].get<std::string>();
    const auto node = graph_.find(id);
    if (node == graph_.end() || !node->is_object()) return std::nullopt;
    return id;
  }

  std::string linked_class(const json& inputs, const char* name) const {
    const auto id = linked(inputs, name);
    return id ? class_of(graph_[*id]) : std::string();
  }

  // The sampler of the empty latent; else the one with the lowest id, as ComfyUI numbers the
  // default workflow's.
  std::string first_pass(const std::vector<std::string>& samplers) const {
    for (const auto& id : samplers)
      if (linked_class(inputs_of(graph_[id]), "latent_image") == "EmptyLatentImage") return id;
    return samplers.front();
  }

  // Whether `image` (an image output) comes from decoding sampler `first`, through image upscalers.
  bool decodes(const std::optional<std::string>& image, const std::string& first) const {
    auto id = image;
    for (int depth = 0; id && depth < 64; ++depth) {
      const json& node = graph_[*id];
      const std::string type = class_of(node);
      if (type == "VAEDecode") return linked(inputs_of(node), "samples") == first;
      if (type != "ImageScale" && type != "ImageScaleBy" && type != "ImageUpscaleWithModel") return false;
      id = linked(inputs_of(node), "image");
    }
    return false;
  }

  // The sampler whose latent is the first pass's upscaled, as a latent or as pixels encoded again.
  std::optional<std::string> hires_pass(const std::vector<std::string>& samplers, const std::string& first) const {
    for (const auto& id : samplers) {
      const auto latent = linked(inputs_of(graph_[id]), "latent_image");
      if (id == first || !latent) continue;
      const json& source = graph_[*latent];
      const std::string type = class_of(source);
      if ((type == "LatentUpscale" || type == "LatentUpscaleBy") && linked(inputs_of(source), "samples") == first)
        return id;
      if (type == "VAEEncode" && decodes(linked(inputs_of(source), "pixels"), first)) return id;
    }
    return std::nullopt;
  }

  // The node a link input points to, marked as read; nullptr for a value or a dangling link.
  const json* follow(const json& inputs, const char* name) {
    const auto link = inputs.find(name);
    if (link == inputs.end() || !link->is_array() || link->empty() || !(*link)[0].is_string()) return nullptr;
    const std::string id = (*link)[0].get<std::string>();
    const auto node = graph_.find(id);
    if (node == graph_.end() || !node->is_object()) return nullptr;
    visited_.insert(id);
    return &*node;
  }

  template <typename T>
  bool read_value(const json& inputs, const char* name, T& field) {
    const auto value = inputs.find(name);
    if (value == inputs.end()) return false;
    if (value->is_number() || value->is_string() || value->is_boolean()) {
      try {
        field = value->get<T>();
        return true;
      } catch (const json::exception&) {
      }
    }
    metadata_.unmapped.push_back(std::string("\"") + name + "\" is not a plain value (set by another node)");
    return false;
  }

  void read_sampler(const json& node) {
    const json& inputs = inputs_of(node);
    GenerationParams& p = metadata_.params;
    read_value(inputs, class_of(node) == "KSamplerAdvanced" ? "noise_seed" : "seed", p.seed);
    read_value(inputs, "steps", p.steps);
    read_value(inputs, "cfg", p.cfg_scale);
    std::string sampler, scheduler;
    if (read_value(inputs, "sampler_name", sampler)) {
      if (auto name = a1111_sampler_from_comfyui(sampler)) p.sampler = *name;
      else unmappable("sampler_name", sampler);
    }
    if (read_value(inputs, "scheduler", scheduler)) {
      if (auto name = a1111_schedule_from_comfyui(scheduler)) p.schedule = *name;
      else unmappable("scheduler", scheduler);
    }
    double denoise = 1.0;
    read_value(inputs, "denoise", denoise);

    if (const json* positive = follow(inputs, "positive")) read_prompt(*positive, p.prompt);
    if (const json* negative = follow(inputs, "negative")) read_prompt(*negative, p.negative_prompt);
    read_model(follow(inputs, "model"));
    read_latent(follow(inputs, "latent_image"), denoise);
  }

  // The second sampler as A1111's hires pass: its steps and denoise, its sampler and prompts
  // where they differ from the first pass's, and the upscale before it.
  void read_hires_pass(const json& first, const json& node) {
    const json& inputs = inputs_of(node);
    GenerationParams& p = metadata_.params;
    p.hires_fix = true;
    read_value(inputs, "steps", p.hires_steps);
    if (!read_value(inputs, "denoise", p.denoising_strength))
      metadata_.unmapped.emplace_back("the hires pass's denoise (" + class_of(node) + " has none)");
    std::int64_t seed = p.seed;
    read_value(inputs, class_of(node) == "KSamplerAdvanced" ? "noise_seed" : "seed", seed);
    if (seed != p.seed) metadata_.unmapped.emplace_back("the hires pass's own seed " + std::to_string(seed));
    double cfg = p.cfg_scale;
    if (read_value(inputs, "cfg", cfg) && cfg != p.cfg_scale)
      metadata_.unmapped.emplace_back("the hires pass's own CFG scale " + json(cfg).dump());
    std::string sampler;
    if (read_value(inputs, "sampler_name", sampler)) {
      const auto name = a1111_sampler_from_comfyui(sampler);
      if (!name) unmappable("sampler_name", sampler);
      else if (*name != p.sampler) p.hires_sampler = *name;
    }
    std::string scheduler;
    if (read_value(inputs, "scheduler", scheduler) && a1111_schedule_from_comfyui(scheduler) != p.schedule)
      metadata_.unmapped.emplace_back("the hires pass's own scheduler \"" + scheduler + "\"");
    const json& first_inputs = inputs_of(first);
    if (linked(inputs, "positive") != linked(first_inputs, "positive"))
      if (const json* positive = follow(inputs, "positive")) read_prompt(*positive, p.hires_prompt);
    if (linked(inputs, "negative") != linked(first_inputs, "negative"))
      if (const json* negative = follow(inputs, "negative")) read_prompt(*negative, p.hires_negative_prompt);
    if (linked(inputs, "model") != linked(first_inputs, "model"))
      metadata_.unmapped.emplace_back("the hires pass's own model");
    read_upscale(*follow(inputs, "latent_image"));
  }

  // LatentUpscale(By) as A1111's latent modes, or the image upscalers between VAEDecode and VAEEncode.
  void read_upscale(const json& node) {
    GenerationParams& p = metadata_.params;
    const json& inputs = inputs_of(node);
    std::string method;
    if (class_of(node) != "VAEEncode") {
      if (read_value(inputs, "upscale_method", method)) {
        if (auto mode = latent_mode_from_comfyui(method)) p.hires_upscaler = *mode;
        else unmappable("upscale_method", method);
      }
      if (class_of(node) == "LatentUpscaleBy") {
        read_value(inputs, "scale_by", p.hires_scale);
      } else {
        read_value(inputs, "width", p.hires_width);
        read_value(inputs, "height", p.hires_height);
        std::string crop;
        if (read_value(inputs, "crop", crop) && crop != "disabled")
          metadata_.unmapped.emplace_back("LatentUpscale's crop \"" + crop + "\"");
      }
      return;
    }
    // From the encoder back to the decoder: the last ImageScale applied gives the size.
    std::optional<std::pair<int, int>> size;
    double scale = 1;
    std::string model_file;
    const json* image = follow(inputs, "pixels");
    for (int depth = 0; image && class_of(*image) != "VAEDecode" && depth < 64;
         ++depth, image = follow(inputs_of(*image), "image")) {
      const json& image_inputs = inputs_of(*image);
      if (class_of(*image) == "ImageUpscaleWithModel") {
        if (const json* loader = follow(image_inputs, "upscale_model")) read_value(inputs_of(*loader), "model_name", model_file);
        continue;
      }
      if (method.empty()) read_value(image_inputs, "upscale_method", method);
      if (size) continue;
      if (class_of(*image) == "ImageScale") {
        int width = 0, height = 0;
        read_value(image_inputs, "width", width);
        read_value(image_inputs, "height", height);
        size.emplace(width, height);
      } else {
        double by = 1;
        read_value(image_inputs, "scale_by", by);
        scale *= by;
      }
    }
    if (!model_file.empty()) {
      p.hires_upscaler = std::filesystem::path(model_file).stem().string();  // as A1111 names upscaler files
    } else if (auto name = pixel_upscaler_from_comfyui(method)) {
      p.hires_upscaler = *name;
    } else {
      p.hires_upscaler = "Lanczos";
      unmappable("upscale_method", method);
    }
    if (size) std::tie(p.hires_width, p.hires_height) = *size;
    else if (model_file.empty()) p.hires_scale = scale;
    else metadata_.unmapped.emplace_back("the hires scale (ImageUpscaleWithModel's factor is not in the workflow)");
  }

  void unmappable(const char* what, const std::string& value) {
    metadata_.extra.emplace_back(what, value);
    metadata_.unmapped.push_back(std::string(what) + " \"" + value + "\" has no A1111 name");
  }

  void read_prompt(const json& node, std::string& prompt) {
    if (class_of(node) != "CLIPTextEncode") {
      metadata_.unmapped.emplace_back("conditioning from " + class_of(node) + " (expected CLIPTextEncode)");
      return;
    }
    read_value(inputs_of(node), "text", prompt);
    read_clip(follow(inputs_of(node), "clip"));
  }

  // CLIPSetLastLayer's stop_at_clip_layer -2 is A1111's "Clip skip: 2".
  void read_clip(const json* node) {
    int layer = -1;
    if (node && class_of(*node) == "CLIPSetLastLayer" && read_value(inputs_of(*node), "stop_at_clip_layer", layer)) {
      metadata_.params.clip_skip = -layer;
    }
  }

  // Through LoRA loaders (kept in `extra`) to the checkpoint loader.
  void read_model(const json* node) {
    for (int depth = 0; node && depth < 64; ++depth) {
      const std::string type = class_of(*node);
      const json& inputs = inputs_of(*node);
      if (type == "CheckpointLoaderSimple" || type == "CheckpointLoader") {
        std::string name;
        if (read_value(inputs, "ckpt_name", name)) metadata_.params.model = name;
        return;
      }
      if (type == "LoraLoader" || type == "LoraLoaderModelOnly") {
        metadata_.extra.emplace_back("LoRA", inputs.value("lora_name", json()).dump() + ": " +
                                                 inputs.value("strength_model", json()).dump());
        metadata_.unmapped.emplace_back("LoRA " + inputs.value("lora_name", json()).dump());
      }
      node = follow(inputs, "model");
    }
  }

  void read_latent(const json* node, double denoise) {
    if (!node) return;
    const json& inputs = inputs_of(*node);
    GenerationParams& p = metadata_.params;
    if (class_of(*node) == "EmptyLatentImage") {
      read_value(inputs, "width", p.width);
      read_value(inputs, "height", p.height);
      read_value(inputs, "batch_size", p.batch_size);
    } else {
      // img2img: the image itself is not in the metadata.
      p.denoising_strength = denoise;
      metadata_.unmapped.emplace_back("latent from " + class_of(*node) + " (img2img: the init image is not recorded)");
    }
  }

  const json& graph_;
  ImageMetadata metadata_;
  std::set<std::string> visited_;
};

}  // namespace

std::optional<ImageMetadata> read_comfyui_metadata(const std::vector<PngText>& texts) {
  const std::string* text = find_text(texts, "prompt");
  if (!text) return std::nullopt;
  const json graph = json::parse(*text, nullptr, false);
  const bool is_graph = graph.is_object() && std::any_of(graph.begin(), graph.end(), [](const json& node) {
    return node.is_object() && node.contains("class_type");
  });
  if (!is_graph) return std::nullopt;
  return GraphReader(graph).read();
}

}  // namespace atelier
