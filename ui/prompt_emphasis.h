#pragma once
// A1111's Ctrl+Up / Ctrl+Down on a prompt (javascript/edit-attention.js): the selection, or
// else the bracket group or word under the cursor, gets its weight raised or lowered by 0.1,
// written as `(text:1.1)`; a weight back at 1 drops the brackets. Offsets are UTF-16 indices,
// as QML's TextArea counts them.
#include <QString>

namespace atelier::ui {

struct EmphasisEdit {
  QString text;
  int selection_start = 0;
  int selection_end = 0;
};

EmphasisEdit adjust_emphasis(const QString& text, int selection_start, int selection_end, bool increase);

}  // namespace atelier::ui
