#pragma once
// Core's UTF-8 strings and paths as Qt's strings.
#include <QString>
#include <filesystem>
#include <string_view>

namespace atelier::ui {

inline QString qstring(std::string_view text) { return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())); }
inline QString path_qstring(const std::filesystem::path& path) { return QString::fromStdString(path.string()); }

}  // namespace atelier::ui
