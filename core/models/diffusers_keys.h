#pragma once
// How diffusers names the tensors of an LDM single-file checkpoint: tables of name prefixes,
// LDM <-> diffusers, generalised from diffusers' convert_diffusers_to_original_stable_diffusion
// to any number of levels and residual blocks. Names here are relative to a network (no
// `model.diffusion_model.` / `first_stage_model.` / `unet/` prefix).
#include <string>
#include <string_view>
#include <vector>

namespace atelier {

struct KeyPrefixPair {
  std::string ldm;
  std::string diffusers;
  // diffusers stores this [C, C] Linear weight where LDM has a [C, C, 1, 1] 1x1 conv (the VAE's
  // middle attention).
  bool conv_from_linear = false;
};

class KeyMap {
 public:
  explicit KeyMap(std::vector<KeyPrefixPair> pairs) : pairs_(std::move(pairs)) {}

  struct Renamed {
    std::string name;
    bool conv_from_linear = false;
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

}  // namespace atelier
