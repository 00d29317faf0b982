#include "ui/params_map.h"

#include <QRegularExpression>

#include "core/error.h"
#include "core/gallery/metadata_values.h"
#include "core/pipeline/inpaint_options.h"
#include "ui/qt_text.h"

namespace atelier::ui {
namespace {

QString path_text(const std::optional<std::filesystem::path>& path) {
  return path ? QString::fromStdString(path->string()) : QString();
}

// The inpaint choices in the order A1111's img2img tab lists them; their labels and parsing
// are core's (core/pipeline/inpaint_options.h), shared with the CLI and the infotext.
using InpaintArea = GenerationParams::InpaintArea;
using MaskedContent = GenerationParams::MaskedContent;
constexpr InpaintArea kInpaintAreas[] = {InpaintArea::WholePicture, InpaintArea::OnlyMasked};
constexpr MaskedContent kMaskedContents[] = {MaskedContent::Fill, MaskedContent::Original, MaskedContent::LatentNoise,
                                             MaskedContent::LatentNothing};

QString label_of(InpaintArea area) { return qstring(a1111_label(area)); }
QString label_of(MaskedContent content) { return qstring(to_string(content)); }

template <class Choice, std::size_t N>
QStringList labels(const Choice (&choices)[N]) {
  QStringList names;
  for (const auto choice : choices) names << label_of(choice);
  return names;
}

}  // namespace

QStringList inpaint_area_labels() { return labels(kInpaintAreas); }
QStringList masked_content_labels() { return labels(kMaskedContents); }

QVariantMap to_variant_map(const GenerationParams& p) {
  return {
      {QStringLiteral("prompt"), QString::fromStdString(p.prompt)},
      {QStringLiteral("negativePrompt"), QString::fromStdString(p.negative_prompt)},
      {QStringLiteral("model"), QString::fromStdString(p.model.string())},
      {QStringLiteral("vae"), QString::fromStdString(p.vae)},
      {QStringLiteral("vaeHash"), QString::fromStdString(p.vae_hash)},
      {QStringLiteral("loraHashes"), QString::fromStdString(format_name_hashes(p.lora_hashes))},
      {QStringLiteral("steps"), p.steps},
      {QStringLiteral("cfgScale"), p.cfg_scale},
      {QStringLiteral("sampler"), QString::fromStdString(p.sampler)},
      {QStringLiteral("schedule"), QString::fromStdString(p.schedule)},
      {QStringLiteral("seed"), static_cast<qint64>(p.seed)},
      {QStringLiteral("variationSeed"), static_cast<qint64>(p.variation_seed)},
      {QStringLiteral("variationStrength"), p.variation_strength},
      {QStringLiteral("seedResizeFromWidth"), p.seed_resize_from_width},
      {QStringLiteral("seedResizeFromHeight"), p.seed_resize_from_height},
      {QStringLiteral("width"), p.width},
      {QStringLiteral("height"), p.height},
      {QStringLiteral("batchCount"), p.batch_count},
      {QStringLiteral("batchSize"), p.batch_size},
      {QStringLiteral("clipSkip"), p.clip_skip},
      {QStringLiteral("noise"), qstring(to_string(p.noise)).toUpper()},
      {QStringLiteral("initImage"), path_text(p.init_image)},
      {QStringLiteral("denoisingStrength"), p.denoising_strength},
      {QStringLiteral("resizeMode"), qstring(to_string(p.resize_mode))},
      {QStringLiteral("mask"), path_text(p.mask)},
      {QStringLiteral("maskBlur"), p.mask_blur},
      {QStringLiteral("invertMask"), p.invert_mask},
      {QStringLiteral("inpaintArea"), label_of(p.inpaint_area)},
      {QStringLiteral("maskedPadding"), p.masked_padding},
      {QStringLiteral("maskedContent"), label_of(p.masked_content)},
      {QStringLiteral("outpaintLeft"), p.outpaint.left},
      {QStringLiteral("outpaintRight"), p.outpaint.right},
      {QStringLiteral("outpaintTop"), p.outpaint.top},
      {QStringLiteral("outpaintBottom"), p.outpaint.bottom},
      {QStringLiteral("hiresFix"), p.hires_fix},
      {QStringLiteral("hiresScale"), p.hires_scale},
      {QStringLiteral("hiresWidth"), p.hires_width},
      {QStringLiteral("hiresHeight"), p.hires_height},
      {QStringLiteral("hiresSteps"), p.hires_steps},
      {QStringLiteral("hiresUpscaler"), QString::fromStdString(p.hires_upscaler)},
      {QStringLiteral("hiresSampler"), QString::fromStdString(p.hires_sampler)},
      {QStringLiteral("hiresPrompt"), QString::fromStdString(p.hires_prompt)},
      {QStringLiteral("hiresNegativePrompt"), QString::fromStdString(p.hires_negative_prompt)},
      {QStringLiteral("tiling"), p.tiling},
      {QStringLiteral("refiner"), path_text(p.refiner)},
      {QStringLiteral("refinerSwitchAt"), p.refiner_switch_at},
      {QStringLiteral("device"), qstring(to_string(p.device))},
      {QStringLiteral("threads"), p.threads},
      {QStringLiteral("vaeTiling"), qstring(to_string(p.vae_tiling))},
      {QStringLiteral("tiling"), p.tiling},
  };
}

GenerationParams to_generation_params(const QVariantMap& map) {
  GenerationParams p;
  auto text = [&](const char* key, std::string& field) {
    if (map.contains(QLatin1String(key))) field = map.value(QLatin1String(key)).toString().toStdString();
  };
  auto number = [&](const char* key, auto& field) {
    if (map.contains(QLatin1String(key))) field = map.value(QLatin1String(key)).value<std::decay_t<decltype(field)>>();
  };
  text("prompt", p.prompt);
  text("negativePrompt", p.negative_prompt);
  text("sampler", p.sampler);
  text("schedule", p.schedule);
  text("vae", p.vae);
  text("vaeHash", p.vae_hash);
  if (map.contains(QLatin1String("loraHashes")))
    p.lora_hashes = parse_name_hashes(map.value(QLatin1String("loraHashes")).toString().toStdString());
  number("steps", p.steps);
  number("cfgScale", p.cfg_scale);
  number("seed", p.seed);
  number("variationSeed", p.variation_seed);
  number("variationStrength", p.variation_strength);
  number("seedResizeFromWidth", p.seed_resize_from_width);
  number("seedResizeFromHeight", p.seed_resize_from_height);
  number("width", p.width);
  number("height", p.height);
  number("batchCount", p.batch_count);
  number("batchSize", p.batch_size);
  number("clipSkip", p.clip_skip);
  number("denoisingStrength", p.denoising_strength);
  number("maskBlur", p.mask_blur);
  number("invertMask", p.invert_mask);
  number("maskedPadding", p.masked_padding);
  number("outpaintLeft", p.outpaint.left);
  number("outpaintRight", p.outpaint.right);
  number("outpaintTop", p.outpaint.top);
  number("outpaintBottom", p.outpaint.bottom);
  number("hiresFix", p.hires_fix);
  number("hiresScale", p.hires_scale);
  number("hiresWidth", p.hires_width);
  number("hiresHeight", p.hires_height);
  number("hiresSteps", p.hires_steps);
  text("hiresUpscaler", p.hires_upscaler);
  text("hiresSampler", p.hires_sampler);
  text("hiresPrompt", p.hires_prompt);
  text("hiresNegativePrompt", p.hires_negative_prompt);
  number("tiling", p.tiling);
  number("refinerSwitchAt", p.refiner_switch_at);
  number("threads", p.threads);
  number("tiling", p.tiling);
  const auto string_of = [&](const char* key) { return map.value(QLatin1String(key)).toString(); };
  if (!string_of("model").isEmpty()) p.model = string_of("model").toStdString();
  if (!string_of("initImage").isEmpty()) p.init_image = string_of("initImage").toStdString();
  if (!string_of("mask").isEmpty()) p.mask = string_of("mask").toStdString();
  if (!string_of("refiner").isEmpty()) p.refiner = string_of("refiner").toStdString();
  if (!string_of("noise").isEmpty()) p.noise = parse_noise_kind(string_of("noise").toStdString());
  if (!string_of("resizeMode").isEmpty()) p.resize_mode = parse_resize_mode(string_of("resizeMode").toStdString());
  if (!string_of("device").isEmpty()) p.device = parse_device_choice(string_of("device").toStdString());
  if (!string_of("inpaintArea").isEmpty()) p.inpaint_area = parse_inpaint_area(string_of("inpaintArea").toStdString());
  if (!string_of("maskedContent").isEmpty())
    p.masked_content = parse_masked_content(string_of("maskedContent").toStdString());
  if (!string_of("vaeTiling").isEmpty()) p.vae_tiling = parse_vae_tiling(string_of("vaeTiling").toStdString());
  return p;
}

QVariantMap from_a1111(const A1111Parameters& parameters) {
  QVariantMap map{{QStringLiteral("prompt"), QString::fromStdString(parameters.prompt)},
                  {QStringLiteral("negativePrompt"), QString::fromStdString(parameters.negative_prompt)}};
  static const QRegularExpression size_pattern(QStringLiteral("^(\\d+)x(\\d+)$"));
  for (const auto& [key, raw] : parameters.fields) {
    const auto value = QString::fromStdString(raw);
    if (key == "Steps") map[QStringLiteral("steps")] = value.toInt();
    else if (key == "Sampler") map[QStringLiteral("sampler")] = value;
    else if (key == "Schedule type") map[QStringLiteral("schedule")] = value;
    else if (key == "CFG scale") map[QStringLiteral("cfgScale")] = value.toDouble();
    else if (key == "Seed") map[QStringLiteral("seed")] = value.toLongLong();
    else if (key == "Variation seed") map[QStringLiteral("variationSeed")] = value.toLongLong();
    else if (key == "Variation seed strength") map[QStringLiteral("variationStrength")] = value.toDouble();
    else if (key == "Clip skip") map[QStringLiteral("clipSkip")] = value.toInt();
    else if (key == "RNG") map[QStringLiteral("noise")] = value.toUpper();
    else if (key == "Tiling") map[QStringLiteral("tiling")] = value == QLatin1String("True");
    else if (key == "Denoising strength") map[QStringLiteral("denoisingStrength")] = value.toDouble();
    else if (key == "Resize mode") map[QStringLiteral("resizeMode")] = value;
    else if (key == "Mask blur") map[QStringLiteral("maskBlur")] = value.toInt();
    else if (key == "Mask mode") map[QStringLiteral("invertMask")] = value == QStringLiteral("Inpaint not masked");
    else if (key == "Inpaint area") map[QStringLiteral("inpaintArea")] = value;
    else if (key == "Masked area padding") map[QStringLiteral("maskedPadding")] = value.toInt();
    else if (key == "Masked content") map[QStringLiteral("maskedContent")] = value;
    else if (key == "Model") map[QStringLiteral("modelName")] = value;
    else if (key == "Model hash") map[QStringLiteral("modelHash")] = value;
    else if (key == "Size") {
      const auto match = size_pattern.match(value);
      if (match.hasMatch()) {
        map[QStringLiteral("width")] = match.captured(1).toInt();
        map[QStringLiteral("height")] = match.captured(2).toInt();
      }
    }
  }
  return map;
}

}  // namespace atelier::ui
