#pragma once
// Prompt text -> the text encoder's conditioning, as A1111 builds it: emphasis syntax, chunks
// of 75 tokens each encoded on its own, per-token weights applied with the mean restored
// ("Original" emphasis), chunks concatenated along the token axis.
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "core/models/clip_text_encoder.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/prompt_chunks.h"

namespace atelier {

// A1111 "Original" emphasis on one chunk's hidden states z [1, 77, C]: z·w, rescaled so the
// mean over the whole tensor is unchanged.
at::Tensor apply_emphasis(const at::Tensor& z, const at::Tensor& weights);

class PromptEncoder {
 public:
  PromptEncoder(ClipTextEncoder encoder, const ClipTokenizer& tokenizer, int clip_skip);

  // [1, 77·chunks, C] on the encoder's device; each distinct prompt is encoded once.
  at::Tensor encode(const std::string& prompt);

  // Pads the shorter of cond/uncond with the empty prompt's encoding so both have the same
  // number of chunks, as A1111's CFG denoiser does.
  void match_lengths(at::Tensor& cond, at::Tensor& uncond);

 private:
  ClipTextEncoder encoder_;
  const ClipTokenizer& tokenizer_;
  int clip_skip_;
  std::map<std::string, at::Tensor> cache_;
};

}  // namespace atelier
