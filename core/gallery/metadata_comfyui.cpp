// ComfyUI's `prompt` chunk: the API graph, {"3": {"class_type": "KSampler", "inputs": {"seed":
// 42, "positive": ["6", 0], ...}}, ...}. A link is [node id, output index]. The parameters are
// found by following the links out of the sampler node.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/gallery/metadata_readers.h"
#include "core/gallery/metadata_values.h"

namespace atelier {
namespace {

using nlohmann::json;

// Nodes after the sampler that hold no generation parameters.
const std::set<std::string> kOutputNodes{"VAEDecode", "SaveImage", "PreviewImage"};

class GraphReader {
 public:
  explicit GraphReader(const json& graph) : graph_(graph) {}

  ImageMetadata read() {
    metadata_.source = "comfyui";
    metadata_.params.quantize_timesteps = true;  // ComfyUI's model sampling rounds timesteps
    const json* sampler = find_sampler();
    if (!sampler) {
      metadata_.unmapped.emplace_back("no KSampler or KSamplerAdvanced node");
    } else {
      read_sampler(*sampler);
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

  // The sampler node with the lowest id, as ComfyUI numbers the default workflow's.
  const json* find_sampler() {
    const json* found = nullptr;
    std::string found_id;
    for (const auto& [id, node] : graph_.items()) {
      const std::string type = class_of(node);
      if (type != "KSampler" && type != "KSamplerAdvanced") continue;
      if (found) {
        metadata_.unmapped.emplace_back("sampler node " + id + " (only node " + found_id + " was read)");
        continue;
      }
      found = &node;
      found_id = id;
    }
    if (found) visited_.insert(found_id);
    return found;
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
