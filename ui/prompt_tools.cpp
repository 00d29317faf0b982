#include "ui/prompt_tools.h"

#include "core/error.h"
#include "core/text/extra_networks.h"
#include "ui/prompt_emphasis.h"

namespace atelier::ui {

QString PromptTools::tokenCounter(const QString& prompt, const QVariantMap& embeddings) const {
  try {
    if (embeddings != embeddings_) {
      embeddings_ = embeddings;
      words_ = EmbeddingWords();
      int index = 0;
      for (auto it = embeddings.begin(); it != embeddings.end(); ++it)
        words_.add(ClipTokenizer::bundled().encode(it.key().toStdString()), it.value().toInt(), index++);
    }
    // A1111 counts the text its networks' tags leave behind.
    const auto text = remove_extra_network_tags(prompt.toStdString()).text;
    const auto tokens = tokenize_prompt(ClipTokenizer::bundled(), text, &words_);
    const auto capacity = static_cast<int>(tokens.chunks.size()) * ClipTokenizer::kChunkLength;
    return QStringLiteral("%1/%2").arg(tokens.token_count).arg(capacity);
  } catch (const Error& error) {
    return QStringLiteral("?/75 — %1").arg(QString::fromStdString(error.what()));
  }
}

QVariantMap PromptTools::adjustEmphasis(const QString& text, int selectionStart, int selectionEnd,
                                        bool increase) const {
  const auto edit = adjust_emphasis(text, selectionStart, selectionEnd, increase);
  return {{QStringLiteral("text"), edit.text},
          {QStringLiteral("selectionStart"), edit.selection_start},
          {QStringLiteral("selectionEnd"), edit.selection_end}};
}

}  // namespace atelier::ui
