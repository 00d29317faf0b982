#pragma once
// GenerationParams as QML sees them: a QVariantMap with one key per form field
// (prompt, negativePrompt, model, vae, steps, cfgScale, sampler, schedule, seed, width, height,
// batchCount, batchSize, clipSkip, noise, initImage, denoisingStrength, resizeMode, mask,
// maskBlur, hiresFix, hiresScale, hiresWidth, hiresHeight, hiresSteps, hiresUpscaler, hiresSampler,
// hiresPrompt, hiresNegativePrompt, refiner, refinerSwitchAt, device, threads, vaeTiling; an
// absent path is ""). Conversions
// live here so the form, the queue and the gallery agree.
#include <QVariantMap>

#include "core/gallery/a1111_parameters.h"
#include "core/pipeline/generation_params.h"

namespace atelier::ui {

QVariantMap to_variant_map(const GenerationParams& params);

// Fields absent from `map` keep GenerationParams' defaults. Throws InvalidArgument for a
// value the engine does not know (an unknown resize mode, noise source or device).
GenerationParams to_generation_params(const QVariantMap& map);

// The fields an A1111 infotext carries, under the form's keys. "Model" becomes modelName
// (the file's stem); choosing the file is the caller's business.
QVariantMap from_a1111(const A1111Parameters& parameters);

}  // namespace atelier::ui
