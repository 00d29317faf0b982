#pragma once
// What the gallery's parameters panel shows for one PNG, whichever tool wrote it: the tool,
// the parameters as A1111-style text, and the form's fields for recall and re-run.
#include <QString>
#include <QVariantMap>

namespace atelier::ui {

// {source: "a1111", sourceName: "AUTOMATIC1111", text: <infotext>, parameters: <params_map.h
// keys, the model as modelName and modelHash, the refiner as refinerName and refinerHash>, notes: <what could not be mapped>, error: <why unreadable>}.
// Never throws: an unreadable file gives only `error`.
QVariantMap read_image_details(const QString& path);

}  // namespace atelier::ui
