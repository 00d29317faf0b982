#pragma once
// How diffusers names the tensors of an LDM single-file checkpoint: tables of name prefixes,
// LDM <-> diffusers, generalised from diffusers' convert_diffusers_to_original_stable_diffusion
// to any number of levels and residual blocks. Names here are relative to a network (no
// `model.diffusion_model.` / `first_stage_model.` / `unet/` prefix).
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

// How diffusers stores a tensor where its shape differs from LDM's.
enum class StoredForm {
  Same,
  LinearForConv,     // a [C, C] Linear weight for LDM's [C, C, 1, 1] 1x1 conv (the VAE's middle attention)
  TransposedLinear,  // a Linear's [out, in] weight for OpenCLIP's [in, out] matrix (text_projection)
};

struct KeyPrefixPair {
  std::string ldm;
  std::string diffusers;
  StoredForm form = StoredForm::Same;
};

class KeyMap {
 public:
  explicit KeyMap(std::vector<KeyPrefixPair> pairs) : pairs_(std::move(pairs)) {}

  struct Renamed {
    std::string name;
    StoredForm form = StoredForm::Same;
  };
  // The LDM name of diffusers key `key` by its longest matching prefix; unchanged where no
  // prefix applies (names both layouts share).
  Renamed to_ldm(std::string_view key) const;
  // The diffusers name of LDM key `key` (the current spelling where diffusers had two).
  std::string to_diffusers(std::string_view key) const;

 private:
  std::vector<KeyPrefixPair> pairs_;
};

// The layout a UNet's names depend on (from unet/config.json).
struct DiffusersUNetLayout {
  int levels = 0;                  // len(block_out_channels)
  int layers_per_block = 0;        // residual blocks per down level (up levels have one more)
  std::vector<bool> up_attention;  // per up block (0 = lowest resolution): CrossAttnUpBlock2D
};

KeyMap unet_key_map(const DiffusersUNetLayout& layout);
// An AutoencoderKL of `levels` levels with `layers_per_block` residual blocks per encoder level.
KeyMap vae_key_map(int levels, int layers_per_block);
// A Hugging Face CLIPTextModel(WithProjection) of `layers` blocks as OpenCLIP names its text
// tower (SD2.x's ViT-H and SDXL's bigG as diffusers stores them), relative to the tower. Each
// attention's q_proj, k_proj and v_proj come out as `attn.q_proj.…` (and k, v): OpenCLIP keeps
// them as one in_proj, fused by the reader (kFusedAttentionProjections).
KeyMap open_clip_key_map(int layers);

// The stacked projections of an OpenCLIP attention, in in_proj's order.
inline constexpr const char* kFusedAttentionProjections[] = {"q_proj.", "k_proj.", "v_proj."};

}  // namespace atelier
