#pragma once
// Architecture sizes of the three networks of a Stable Diffusion checkpoint.
#include <cstddef>
#include <string>
#include <vector>

namespace atelier {

struct UNetConfig {
  int in_channels = 4;
  int out_channels = 4;
  int model_channels = 320;
  std::vector<int> channel_mult;  // per level
  // Per level: transformer blocks in each SpatialTransformer after a ResBlock; 0 = no attention
  // there (SDXL's first level).
  std::vector<int> transformer_depth;
  int middle_transformer_depth = 1;
  int num_res_blocks = 2;
  int context_dim = 768;
  int num_heads = 8;            // used when num_head_channels is -1
  int num_head_channels = -1;   // SD2/SDXL style: heads = channels / num_head_channels
  bool linear_projection = false;  // proj_in/proj_out are Linear (SD2, SDXL) instead of 1x1 conv
  int adm_in_channels = 0;      // SDXL: width of the `vector` conditioning (label_emb); 0 = none

  bool has_attention(std::size_t level) const { return transformer_depth[level] > 0; }
  int heads_for(int channels) const {
    return num_head_channels > 0 ? channels / num_head_channels : num_heads;
  }
};

struct VaeConfig {
  int in_channels = 3;
  int out_channels = 3;
  int ch = 128;
  std::vector<int> ch_mult;        // per level
  std::vector<bool> attention_levels;
  int num_res_blocks = 2;
  int z_channels = 4;
  int embed_dim = 4;
  double scale_factor = 0.18215;
  int downsample_factor() const { return 1 << (static_cast<int>(ch_mult.size()) - 1); }
};

// A CLIP text transformer: OpenAI's ViT-L/14 (quick_gelu) or OpenCLIP's ViT-H / bigG (exact GELU,
// a text projection for the pooled vector).
struct ClipTextConfig {
  int vocab_size = 49408;
  int hidden_size = 768;
  int num_layers = 12;
  int num_heads = 12;
  int intermediate_size = 3072;
  int max_positions = 77;
  double layer_norm_eps = 1e-5;
  bool quick_gelu = true;
  int projection_dim = 0;  // text_projection's output width; 0 = none stored
};

// The DDPM noise schedule the model was trained with (LDM's register_schedule).
struct NoiseScheduleConfig {
  double linear_start = 0.00085;
  double linear_end = 0.012;
  int timesteps = 1000;
};

}  // namespace atelier
