#pragma once
// The prompt editors' logic for QML: A1111's token counter and the emphasis shortcut.
#include <QObject>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include "core/text/prompt_chunks.h"

namespace atelier::ui {

class PromptTools : public QObject {
  Q_OBJECT
  QML_NAMED_ELEMENT(Prompts)
  QML_SINGLETON

 public:
  using QObject::QObject;

  // "12/75" as A1111 shows it: tokens so far over the chunks' capacity (75 per chunk), the
  // `<lora:…>` tags left out and each word of `embeddings` (word -> vector count, as
  // AddonCatalog::embeddingVectors gives them) counted as its vectors, or "?" with the reason
  // when the prompt does not parse.
  Q_INVOKABLE QString tokenCounter(const QString& prompt, const QVariantMap& embeddings = {}) const;
  // {text, selectionStart, selectionEnd} after Ctrl+Up (increase) or Ctrl+Down.
  Q_INVOKABLE QVariantMap adjustEmphasis(const QString& text, int selectionStart, int selectionEnd,
                                         bool increase) const;

 private:
  // The words of the embeddings last asked about: the same map comes with every keystroke.
  mutable QVariantMap embeddings_;
  mutable EmbeddingWords words_;
};

}  // namespace atelier::ui
