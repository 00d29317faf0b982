#include "ui/few_step_defaults.h"

#include <QRegularExpression>

namespace atelier::ui {
namespace {

// "4step", "8steps", "2-steps": the step count a distilled model or LoRA was made for.
std::optional<int> named_steps(const QString& name) {
  static const QRegularExpression pattern(QStringLiteral("(\\d+)[-_ ]?steps?"));
  const auto match = pattern.match(name);
  if (!match.hasMatch()) return std::nullopt;
  const int steps = match.captured(1).toInt();
  return steps >= 1 && steps <= 50 ? std::optional(steps) : std::nullopt;
}

// The model cards' settings: SDXL-Lightning and Hyper-SD ask for Euler with "trailing"
// timesteps (A1111's "SGM Uniform") at their step count; LCM for its own sampler at 4-8 steps
// and CFG 1-2; SD-Turbo and SDXL-Turbo for 1-4 steps of Euler a without guidance.
std::optional<FewStepDefaults> defaults_for(const QString& name) {
  static const QRegularExpression hyper_sd(QStringLiteral("hyper[-_ ]?sd"));
  const QString lower = name.toLower();
  const auto steps = named_steps(lower);
  if (lower.contains(QLatin1String("lightning")))
    return FewStepDefaults{QStringLiteral("Lightning"), name, steps.value_or(4), 1, QStringLiteral("Euler"), QStringLiteral("SGM Uniform")};
  if (lower.contains(hyper_sd)) {
    const bool keeps_cfg = lower.contains(QLatin1String("cfg"));  // Hyper-SD's "CFG-preserved" LoRAs: guidance 5-8
    return FewStepDefaults{QStringLiteral("Hyper-SD"), name, steps.value_or(8), keeps_cfg ? 5.0 : 1.0, QStringLiteral("Euler"),
                           QStringLiteral("SGM Uniform")};
  }
  if (lower.contains(QLatin1String("lcm")))
    return FewStepDefaults{QStringLiteral("LCM"), name, steps.value_or(6), 1.5, QStringLiteral("LCM"), QStringLiteral("Automatic")};
  if (lower.contains(QLatin1String("turbo")))
    return FewStepDefaults{QStringLiteral("Turbo"), name, steps.value_or(4), 1, QStringLiteral("Euler a"), QStringLiteral("Automatic")};
  return std::nullopt;
}

}  // namespace

std::optional<FewStepDefaults> few_step_defaults(const QString& model_name, const QString& prompt) {
  if (auto found = defaults_for(model_name)) return found;
  static const QRegularExpression lora_tag(QStringLiteral("<(?:lora|lyco):([^:>]+)[^>]*>"), QRegularExpression::CaseInsensitiveOption);
  for (auto tags = lora_tag.globalMatch(prompt); tags.hasNext();)
    if (auto found = defaults_for(tags.next().captured(1).trimmed())) return found;
  return std::nullopt;
}

QVariantMap FewStepRules::suggest(const QString& modelName, const QString& prompt) const {
  const auto found = few_step_defaults(modelName, prompt);
  if (!found) return {};
  return {{QStringLiteral("kind"), found->kind},          {QStringLiteral("source"), found->source},
          {QStringLiteral("steps"), found->steps},        {QStringLiteral("cfgScale"), found->cfg_scale},
          {QStringLiteral("sampler"), found->sampler},    {QStringLiteral("schedule"), found->schedule}};
}

}  // namespace atelier::ui
