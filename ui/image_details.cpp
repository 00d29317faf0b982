#include "ui/image_details.h"

#include <QStringList>

#include "core/gallery/a1111_parameters.h"
#include "core/gallery/image_metadata.h"
#include "core/gallery/image_output.h"
#include "core/io/png.h"
#include "ui/params_map.h"

namespace atelier::ui {
namespace {

QString tool_name(const std::string& source) {
  static const QVariantMap names{{QStringLiteral("atelier"), QStringLiteral("Atelier")},
                                 {QStringLiteral("a1111"), QStringLiteral("AUTOMATIC1111")},
                                 {QStringLiteral("comfyui"), QStringLiteral("ComfyUI")},
                                 {QStringLiteral("invokeai"), QStringLiteral("InvokeAI")},
                                 {QStringLiteral("fooocus"), QStringLiteral("Fooocus")},
                                 {QStringLiteral("sdcpp"), QStringLiteral("stable-diffusion.cpp")},
                                 {QStringLiteral("drawthings"), QStringLiteral("Draw Things")}};
  return names.value(QString::fromStdString(source), QString::fromStdString(source)).toString();
}

// The form's fields of the parameters. Device, threads and tiling are the studio's settings,
// not the image's; the model and the refiner are named by their stems ("" for no refiner) and
// hashes so the caller can find the listed files.
QVariantMap recall_fields(const GenerationParams& params) {
  auto fields = to_variant_map(params);
  for (const char* setting : {"device", "threads", "vaeTiling", "model", "refiner"})
    fields.remove(QLatin1String(setting));
  fields[QStringLiteral("modelName")] = QString::fromStdString(params.model.stem().string());
  fields[QStringLiteral("modelHash")] = QString::fromStdString(params.model_hash);
  fields[QStringLiteral("refinerName")] = params.refiner ? QString::fromStdString(params.refiner->stem().string()) : QString();
  fields[QStringLiteral("refinerHash")] = QString::fromStdString(params.refiner_hash);
  return fields;
}

// The infotext as the tool wrote it when there is one, else ours from what was understood.
QString parameters_text(const std::vector<PngText>& texts, const GenerationParams& params) {
  for (const auto& text : texts)
    if (text.keyword == "parameters") return QString::fromStdString(text.text);
  return QString::fromStdString(format_a1111_parameters(a1111_parameters(params)));
}

}  // namespace

QVariantMap read_image_details(const QString& path) {
  try {
    const auto texts = read_png_texts(path.toStdString());
    const auto metadata = parse_image_metadata(texts);
    if (metadata.source == "none") return {{QStringLiteral("source"), QStringLiteral("none")}};
    QStringList notes;
    for (const auto& note : metadata.unmapped) notes << QString::fromStdString(note);
    return {{QStringLiteral("source"), QString::fromStdString(metadata.source)},
            {QStringLiteral("sourceName"), tool_name(metadata.source)},
            {QStringLiteral("text"), parameters_text(texts, metadata.params)},
            {QStringLiteral("parameters"), recall_fields(metadata.params)},
            {QStringLiteral("notes"), notes.join(QLatin1Char('\n'))}};
  } catch (const std::exception& error) {
    return {{QStringLiteral("error"), QString::fromUtf8(error.what())}};
  }
}

}  // namespace atelier::ui
