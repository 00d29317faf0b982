#include "ui/prompt_emphasis.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace atelier::ui {
namespace {

constexpr double kAttentionStep = 0.1;  // A1111's keyedit_precision_attention
constexpr double kExtraStep = 0.05;     // keyedit_precision_extra, for <lora:name:w>
const QString kDelimiters = QStringLiteral(".,\\/!?%^*;:{}=`~() \t\r\n");

QChar at(const QString& text, int index) { return index >= 0 && index < text.size() ? text[index] : QChar(); }

// JavaScript's number formatting as A1111 relies on it: 12 significant digits, and integers
// keep a ".0" so the weight still reads as a weight.
QString weight_text(double weight) {
  auto text = QString::number(weight, 'g', 12);
  if (std::floor(weight) == weight) text += QStringLiteral(".0");
  return text;
}

struct Selection {
  int start;
  int end;
};

// With an empty selection inside `open ... close`, selects the content (without a `:weight`).
bool select_bracket_block(const QString& text, Selection& s, QChar open, QChar close) {
  if (s.start != s.end) return false;
  const auto before = text.left(s.start);
  const auto open_at = before.lastIndexOf(open);
  if (open_at == -1 || before.lastIndexOf(close) > open_at) return false;
  const auto after = text.mid(s.start);
  const auto close_at = after.indexOf(close);
  if (close_at == -1) return false;
  const auto next_open = after.indexOf(open);
  if (next_open != -1 && next_open < close_at) return false;
  const auto content = text.mid(open_at + 1, s.start + close_at - open_at - 1);
  static const QRegularExpression weighted(QStringLiteral(":-?[\\d.]+"));
  s.start = static_cast<int>(open_at) + 1;
  s.end = s.start + static_cast<int>(weighted.match(content).hasMatch() ? content.lastIndexOf(':') : content.size());
  return true;
}

void select_word(const QString& text, Selection& s) {
  if (s.start != s.end) return;
  while (s.start > 0 && !kDelimiters.contains(text[s.start - 1])) --s.start;
  while (s.end < text.size() && !kDelimiters.contains(text[s.end])) ++s.end;
  while (s.start < s.end && text[s.start] == ' ') ++s.start;
  while (s.end > s.start && text[s.end - 1] == ' ') --s.end;
}

}  // namespace

EmphasisEdit adjust_emphasis(const QString& original, int selection_start, int selection_end, bool increase) {
  auto text = original;
  Selection s{std::clamp(selection_start, 0, static_cast<int>(text.size())),
              std::clamp(selection_end, 0, static_cast<int>(text.size()))};
  if (s.start > s.end) std::swap(s.start, s.end);
  const EmphasisEdit unchanged{original, s.start, s.end};
  if (!select_bracket_block(text, s, '<', '>') && !select_bracket_block(text, s, '(', ')') &&
      !select_bracket_block(text, s, '[', ']'))
    select_word(text, s);

  QChar close = ')';
  double step = kAttentionStep;
  const QChar before = at(text, s.start - 1);
  const QChar after = at(text, s.end);
  if (before == '<') {
    close = '>';
    step = kExtraStep;
  } else if ((before == '(' && after == ')') || (before == '[' && after == ']')) {
    // Old-style (((emphasis))) or [[de-emphasis]] becomes an explicit weight first.
    int depth = 0;
    while (at(text, s.start - depth - 1) == before && at(text, s.end + depth) == after) ++depth;
    double weight = std::pow(before == '[' ? 1 / 1.1 : 1.1, depth);
    weight = std::round(weight / kAttentionStep) * kAttentionStep;
    text = text.left(s.start - depth) + '(' + text.mid(s.start, s.end - s.start) + ':' + weight_text(weight) + ')' +
           text.mid(s.end + depth);
    s.start -= depth - 1;
    s.end -= depth - 1;
  } else if (before != '(') {
    while (s.end > s.start && text[s.end - 1] == ' ') --s.end;
    if (s.start == s.end) return unchanged;
    text = text.left(s.start) + '(' + text.mid(s.start, s.end - s.start) + QStringLiteral(":1.0)") + text.mid(s.end);
    ++s.start;
    ++s.end;
  }

  if (at(text, s.end) != ':') return unchanged;
  const auto weight_length = text.mid(s.end + 1).indexOf(close) + 1;
  bool ok = false;
  double weight = text.mid(s.end + 1, weight_length - 1).toDouble(&ok);
  if (weight_length == 0 || !ok) return unchanged;
  weight += increase ? step : -step;
  weight = QString::number(weight, 'g', 12).toDouble();

  if (close == ')' && weight == 1) {
    const auto close_at = text.indexOf(')', s.end);
    text = text.left(s.start - 1) + text.mid(s.start, s.end - s.start) + text.mid(close_at + 1);
    --s.start;
    --s.end;
  } else {
    text = text.left(s.end + 1) + weight_text(weight) + text.mid(s.end + weight_length);
  }
  return {text, s.start, s.end};
}

}  // namespace atelier::ui
