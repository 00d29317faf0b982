#pragma once
// GenerationParams as QML sees them: a QVariantMap with one key per form field
// (prompt, negativePrompt, model, vae, steps, cfgScale, sampler, schedule, seed, width, height,
// batchCount, batchSize, clipSkip, noise, initImage, denoisingStrength, resizeMode, mask,
// maskBlur, invertMask, inpaintArea, maskedPadding, maskedContent, outpaintLeft/Right/Top/Bottom,
// hiresFix, hiresScale, hiresWidth, hiresHeight, hiresSteps, hiresUpscaler, hiresSampler,
// hiresPrompt, hiresNegativePrompt, tiling, refiner, refinerSwitchAt, device, threads, vaeTiling;
// an absent path is ""; and what a re-run finds renamed files by: vaeHash, and loraHashes as the
// infotext's "Lora hashes" text). Conversions live here so the form, the queue and the gallery agree.
#include <QStringList>
#include <QVariantMap>

#include "core/gallery/a1111_parameters.h"
#include "core/pipeline/generation_params.h"

namespace atelier::ui {

// The labels inpaintArea and maskedContent take, A1111's: "Whole picture", "Only masked";
// "fill", "original", "latent noise", "latent nothing".
QStringList inpaint_area_labels();
QStringList masked_content_labels();

QVariantMap to_variant_map(const GenerationParams& params);

// Fields absent from `map` keep GenerationParams' defaults. Throws InvalidArgument for a
// value the engine does not know (an unknown resize mode, noise source, device, inpaint area or
// masked content).
GenerationParams to_generation_params(const QVariantMap& map);

// The fields an A1111 infotext carries, under the form's keys. "Model" becomes modelName
// (the file's stem); choosing the file is the caller's business.
QVariantMap from_a1111(const A1111Parameters& parameters);

}  // namespace atelier::ui
