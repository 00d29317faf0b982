#pragma once
// Prompt text -> what the UNet is conditioned on, as A1111 builds it for every family: per text
// encoder, the emphasis syntax, chunks of 75 tokens each encoded on its own, per-token weights
// applied with the mean restored ("Original" emphasis), chunks concatenated along the token
// axis; then the family's encoders side by side and, for SDXL, the pooled vector with the
// size (or aesthetic score) embeddings.
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "core/models/stable_diffusion.h"
#include "core/networks/textual_inversion.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/prompt_chunks.h"
#include "core/text/prompt_schedule.h"

namespace atelier {

// What one prompt conditions the UNet with: the cross-attention context, for SDXL the `vector`
// (label_emb input), for inpainting models the image channels beside the latent (c_concat).
// Every family fills it; the one sampling loop consumes it.
struct Conditioning {
  at::Tensor context;  // [1, 77·chunks, context_dim]
  at::Tensor vector;   // [1, adm_in_channels], or undefined
  at::Tensor concat;   // [1, 5, h, w]: mask and masked-image latent, or undefined
};

// A prompt's conditioning over the sampling steps: with A1111's prompt editing ([from:to:when],
// [a|b]) one per stretch of steps, else one.
struct ScheduledConditioning {
  std::vector<ScheduledPrompt> schedule;    // the texts and the steps they end at
  std::vector<Conditioning> conditionings;  // one per schedule entry
  // At A1111's denoiser step `step` (its model-call counter, from 0).
  const Conditioning& at(int step) const { return conditionings[schedule_index_at(schedule, step)]; }
};

// SDXL's extra conditioning numbers. A1111 uses original = target = the image size and crop
// (0, 0); the refiner's aesthetic score is 6.0 for the prompt, 2.5 for the negative prompt.
struct ImageConditioning {
  int original_height = 1024, original_width = 1024;
  int crop_top = 0, crop_left = 0;
  int target_height = 1024, target_width = 1024;
  double aesthetic_score = 6.0;

  static ImageConditioning of_size(int width, int height, double aesthetic_score = 6.0) {
    return {height, width, 0, 0, height, width, aesthetic_score};
  }
};

// A1111 "Original" emphasis on one chunk's hidden states z [1, 77, C]: z·w, rescaled so the
// mean over the whole tensor is unchanged.
at::Tensor apply_emphasis(const at::Tensor& z, const at::Tensor& weights);

// One text encoder's part: [1, 77·chunks, C] and, when it gives one, the pooled vector of the
// first chunk (unweighted, as A1111 takes it).
class PromptEncoder {
 public:
  // `embeddings` are the textual inversions this encoder knows, with the vectors under
  // `embedding_key` ("" or SDXL's "clip_l" / "clip_g"); they must outlive the encoder.
  PromptEncoder(TextEncoder encoder, const ClipTokenizer& tokenizer, int clip_skip,
                std::vector<const TextualInversion*> embeddings = {}, std::string embedding_key = {});

  struct Encoded {
    at::Tensor hidden;
    at::Tensor pooled;  // [1, projection_dim], or undefined
  };
  // On the encoder's device; each distinct prompt is encoded once.
  const Encoded& encode_with_pooled(const std::string& prompt);
  at::Tensor encode(const std::string& prompt) { return encode_with_pooled(prompt).hidden; }

  // The embeddings the prompts encoded so far used, in order of first use.
  const std::vector<const TextualInversion*>& used_embeddings() const { return used_; }

 private:
  std::vector<TokenVectors> vectors_of(const PromptChunk& chunk, c10::Device device, c10::ScalarType dtype);

  TextEncoder encoder_;
  const ClipTokenizer& tokenizer_;
  int clip_skip_;
  std::vector<const TextualInversion*> embeddings_;
  std::string embedding_key_;
  EmbeddingWords words_;
  std::vector<const TextualInversion*> used_;
  std::map<std::string, Encoded> cache_;
};

// The family's whole conditioning from its text encoders (StableDiffusionModel::text_encoders).
class Conditioner {
 public:
  // Of `embeddings`, those made for this model's text encoders (A1111's expected shape: the
  // widths of all of them) become words of the prompts.
  Conditioner(const StableDiffusionModel& model, const ClipTokenizer& tokenizer, int clip_skip,
              const std::vector<TextualInversion>& embeddings = {});

  // A negative prompt that is empty gives SDXL zeros for everything the text encoders make
  // (A1111's sd_models_xl.get_learned_conditioning); the size numbers stay.
  Conditioning encode(const std::string& prompt, const ImageConditioning& image, bool negative = false);
  // Each text of the prompt's editing schedule over `steps` steps (`options`: of a hires pass),
  // encoded once.
  ScheduledConditioning encode_schedule(const std::string& prompt, int steps, const ImageConditioning& image,
                                        bool negative = false, const ScheduleOptions& options = {});

  // The embeddings the prompts encoded so far used, in order of first use.
  std::vector<const TextualInversion*> used_embeddings() const;

 private:
  ModelFamily family_;
  std::vector<PromptEncoder> encoders_;
};

// SDXL's vector: the pooled text feature, then each number of `image` the family uses embedded
// on its own as a 256-wide sinusoid (cos first): base original (h, w), crop (top, left),
// target (h, w); refiner original, crop, aesthetic score.
at::Tensor sdxl_vector(ModelFamily family, const at::Tensor& pooled, const ImageConditioning& image);

}  // namespace atelier
