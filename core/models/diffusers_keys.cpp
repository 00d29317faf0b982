#include "core/models/diffusers_keys.h"

namespace atelier {
namespace {

std::string at(const std::string& prefix, int index) { return prefix + std::to_string(index) + "."; }

class PairList {
 public:
  void add(std::string ldm, std::string diffusers, StoredForm form = StoredForm::Same) {
    pairs_.push_back({std::move(ldm), std::move(diffusers), form});
  }
  // A UNet ResBlock: LDM's Sequential indices against diffusers' ResnetBlock2D names.
  void unet_resnet(const std::string& ldm, const std::string& diffusers) {
    add(ldm, diffusers);
    for (const auto& [inner_ldm, inner_diffusers] :
         {std::pair{"in_layers.0.", "norm1."}, {"in_layers.2.", "conv1."}, {"emb_layers.1.", "time_emb_proj."},
          {"out_layers.0.", "norm2."}, {"out_layers.3.", "conv2."}, {"skip_connection.", "conv_shortcut."}})
      add(ldm + inner_ldm, diffusers + inner_diffusers);
  }
  // A VAE ResnetBlock: the same names but the shortcut.
  void vae_resnet(const std::string& ldm, const std::string& diffusers) {
    add(ldm, diffusers);
    add(ldm + "nin_shortcut.", diffusers + "conv_shortcut.");
  }
  std::vector<KeyPrefixPair> take() { return std::move(pairs_); }

 private:
  std::vector<KeyPrefixPair> pairs_;
};

}  // namespace

KeyMap::Renamed KeyMap::to_ldm(std::string_view key) const {
  const KeyPrefixPair* best = nullptr;
  for (const auto& pair : pairs_)
    if (key.starts_with(pair.diffusers) && (!best || pair.diffusers.size() > best->diffusers.size())) best = &pair;
  if (!best) return {std::string(key)};
  return {best->ldm + std::string(key.substr(best->diffusers.size())), best->form};
}

std::string KeyMap::to_diffusers(std::string_view key) const {
  const KeyPrefixPair* best = nullptr;
  for (const auto& pair : pairs_)
    if (key.starts_with(pair.ldm) && (!best || pair.ldm.size() > best->ldm.size())) best = &pair;
  if (!best) return std::string(key);
  return best->diffusers + std::string(key.substr(best->ldm.size()));
}

KeyMap unet_key_map(const DiffusersUNetLayout& layout) {
  const int levels = layout.levels, blocks = layout.layers_per_block;
  PairList pairs;
  pairs.add("time_embed.0.", "time_embedding.linear_1.");
  pairs.add("time_embed.2.", "time_embedding.linear_2.");
  pairs.add("label_emb.0.0.", "add_embedding.linear_1.");  // SDXL's `vector` conditioning
  pairs.add("label_emb.0.2.", "add_embedding.linear_2.");
  pairs.add("input_blocks.0.0.", "conv_in.");
  pairs.add("out.0.", "conv_norm_out.");
  pairs.add("out.2.", "conv_out.");
  for (int level = 0; level < levels; ++level) {
    const std::string down = at("down_blocks.", level), up = at("up_blocks.", level);
    for (int block = 0; block < blocks; ++block) {
      const std::string input = at("input_blocks.", (blocks + 1) * level + block + 1);
      pairs.unet_resnet(input + "0.", at(down + "resnets.", block));
      pairs.add(input + "1.", at(down + "attentions.", block));
    }
    if (level + 1 < levels)
      pairs.add(at("input_blocks.", (blocks + 1) * (level + 1)) + "0.op.", down + "downsamplers.0.conv.");
    // Up block `level` is LDM level levels - 1 - level, with one more residual block.
    for (int block = 0; block <= blocks; ++block) {
      const std::string output = at("output_blocks.", (blocks + 1) * level + block);
      pairs.unet_resnet(output + "0.", at(up + "resnets.", block));
      pairs.add(output + "1.", at(up + "attentions.", block));
    }
    if (level + 1 < levels) {
      // The upsampler follows the last block's attention where the level has one.
      const bool attention = level < static_cast<int>(layout.up_attention.size()) && layout.up_attention[level];
      pairs.add(at(at("output_blocks.", (blocks + 1) * level + blocks), attention ? 2 : 1), up + "upsamplers.0.");
    }
  }
  pairs.unet_resnet("middle_block.0.", "mid_block.resnets.0.");
  pairs.add("middle_block.1.", "mid_block.attentions.0.");
  pairs.unet_resnet("middle_block.2.", "mid_block.resnets.1.");
  return KeyMap(pairs.take());
}

KeyMap vae_key_map(int levels, int layers_per_block) {
  PairList pairs;
  for (const std::string side : {"encoder.", "decoder."}) {
    pairs.add(side + "norm_out.", side + "conv_norm_out.");
    pairs.vae_resnet(side + "mid.block_1.", side + "mid_block.resnets.0.");
    pairs.vae_resnet(side + "mid.block_2.", side + "mid_block.resnets.1.");
    const std::string attention = side + "mid_block.attentions.0.";
    pairs.add(side + "mid.attn_1.norm.", attention + "group_norm.");
    // Current names first (to_diffusers gives those); diffusers before 0.17 wrote the others.
    for (const auto& [ldm, current, old] : {std::tuple{"q.", "to_q.", "query."}, {"k.", "to_k.", "key."},
                                            {"v.", "to_v.", "value."}, {"proj_out.", "to_out.0.", "proj_attn."}}) {
      pairs.add(side + "mid.attn_1." + ldm, attention + current, StoredForm::LinearForConv);
      pairs.add(side + "mid.attn_1." + ldm, attention + old, StoredForm::LinearForConv);
    }
  }
  for (int level = 0; level < levels; ++level) {
    const std::string down = at("encoder.down_blocks.", level), up = at("decoder.up_blocks.", level);
    const std::string ldm_down = at("encoder.down.", level), ldm_up = at("decoder.up.", levels - 1 - level);
    for (int block = 0; block < layers_per_block; ++block)
      pairs.vae_resnet(at(ldm_down + "block.", block), at(down + "resnets.", block));
    // The decoder's levels run the other way, each with one more residual block.
    for (int block = 0; block <= layers_per_block; ++block)
      pairs.vae_resnet(at(ldm_up + "block.", block), at(up + "resnets.", block));
    if (level + 1 < levels) {
      pairs.add(ldm_down + "downsample.", down + "downsamplers.0.");
      pairs.add(ldm_up + "upsample.", up + "upsamplers.0.");
    }
  }
  return KeyMap(pairs.take());
}

KeyMap open_clip_key_map(int layers) {
  PairList pairs;
  pairs.add("token_embedding.", "text_model.embeddings.token_embedding.");
  pairs.add("positional_embedding", "text_model.embeddings.position_embedding.weight");
  pairs.add("ln_final.", "text_model.final_layer_norm.");
  pairs.add("text_projection", "text_projection.weight", StoredForm::TransposedLinear);
  for (int layer = 0; layer < layers; ++layer) {
    const std::string block = at("transformer.resblocks.", layer), hf = at("text_model.encoder.layers.", layer);
    for (const auto& [open_clip, clip] : {std::pair{"ln_1.", "layer_norm1."}, {"ln_2.", "layer_norm2."},
                                          {"mlp.c_fc.", "mlp.fc1."}, {"mlp.c_proj.", "mlp.fc2."},
                                          {"attn.", "self_attn."}})
      pairs.add(block + open_clip, hf + clip);
  }
  return KeyMap(pairs.take());
}

}  // namespace atelier
