// Few-step models recognised by name as A1111 and ComfyUI users name them, and the defaults the
// studio offers for each: settings the engine really has.
#include <QTest>

#include "ui/engine_choices.h"
#include "ui/few_step_defaults.h"

using atelier::ui::few_step_defaults;

class FewStepDefaultsTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void recognisesModelNames_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("steps");
    QTest::addColumn<double>("cfg");
    QTest::addColumn<QString>("sampler");
    QTest::addColumn<QString>("schedule");
    QTest::newRow("SDXL-Turbo") << "sd_xl_turbo_1.0_fp16" << "Turbo" << 4 << 1.0 << "Euler a" << "Automatic";
    QTest::newRow("SD-Turbo") << "sd_turbo" << "Turbo" << 4 << 1.0 << "Euler a" << "Automatic";
    QTest::newRow("a turbo merge") << "dreamshaperXL_v21TurboDPMSDE" << "Turbo" << 4 << 1.0 << "Euler a" << "Automatic";
    QTest::newRow("LCM checkpoint") << "LCM_Dreamshaper_v7" << "LCM" << 6 << 1.5 << "LCM" << "Automatic";
    QTest::newRow("Lightning 4 steps") << "sdxl_lightning_4step" << "Lightning" << 4 << 1.0 << "Euler" << "SGM Uniform";
    QTest::newRow("Lightning 8 steps") << "sdxl_lightning_8step_unet" << "Lightning" << 8 << 1.0 << "Euler" << "SGM Uniform";
    QTest::newRow("a Lightning merge") << "juggernautXL_v9Rdphoto2Lightning" << "Lightning" << 4 << 1.0 << "Euler" << "SGM Uniform";
    QTest::newRow("Hyper-SD 8 steps") << "Hyper-SDXL-8steps-lora" << "Hyper-SD" << 8 << 1.0 << "Euler" << "SGM Uniform";
    QTest::newRow("Hyper-SD 1 step") << "Hyper-SD15-1step-lora" << "Hyper-SD" << 1 << 1.0 << "Euler" << "SGM Uniform";
    QTest::newRow("Hyper-SD keeping CFG") << "Hyper-SDXL-12steps-CFG-lora" << "Hyper-SD" << 12 << 5.0 << "Euler" << "SGM Uniform";
  }

  void recognisesModelNames() {
    QFETCH(QString, name);
    const auto found = few_step_defaults(name, QStringLiteral("a fox"));
    QVERIFY2(found, qPrintable(name));
    QTEST(found->kind, "kind");
    QCOMPARE(found->source, name);
    QTEST(found->steps, "steps");
    QTEST(found->cfg_scale, "cfg");
    QTEST(found->sampler, "sampler");
    QTEST(found->schedule, "schedule");
  }

  void ordinaryModelsGetNoOffer() {
    for (const char* name : {"v1-5-pruned-emaonly", "sd_xl_base_1.0", "HyperRealism_v3", "realisticVisionV60B1_v51VAE"})
      QVERIFY2(!few_step_defaults(QLatin1String(name), QStringLiteral("a fox <lora:add_detail:0.5>")), name);
  }

  void aLoraOfThePromptCounts() {
    const auto lcm = few_step_defaults(QStringLiteral("v1-5-pruned-emaonly"), QStringLiteral("a fox, <lora:lcm-lora-sdv1-5:1>"));
    QVERIFY(lcm);
    QCOMPARE(lcm->kind, QStringLiteral("LCM"));
    QCOMPARE(lcm->source, QStringLiteral("lcm-lora-sdv1-5"));
    const auto lightning =
        few_step_defaults(QStringLiteral("sd_xl_base_1.0"), QStringLiteral("<lora:add_detail:1> <LORA:sdxl_lightning_2step_lora:0.8> a fox"));
    QVERIFY(lightning);
    QCOMPARE(lightning->kind, QStringLiteral("Lightning"));
    QCOMPARE(lightning->steps, 2);
    // The model's own kind comes first.
    QCOMPARE(few_step_defaults(QStringLiteral("sdxl_turbo"), QStringLiteral("<lora:lcm-lora-sdxl:1>"))->kind, QStringLiteral("Turbo"));
  }

  void offeredSettingsExistInTheEngine() {
    const auto samplers = atelier::ui::sampler_names();
    const auto schedules = atelier::ui::schedule_names();
    for (const char* name : {"sd_turbo", "lcm_model", "sdxl_lightning_4step", "Hyper-SDXL-8steps-lora"}) {
      const auto found = few_step_defaults(QLatin1String(name), {});
      QVERIFY2(samplers.contains(found->sampler), qPrintable(found->sampler));
      QVERIFY2(schedules.contains(found->schedule), qPrintable(found->schedule));
    }
  }

  void qmlGetsAMap() {
    const atelier::ui::FewStepRules rules;
    const auto offer = rules.suggest(QStringLiteral("sdxl_lightning_8step"), {});
    QCOMPARE(offer.value(QStringLiteral("steps")).toInt(), 8);
    QCOMPARE(offer.value(QStringLiteral("cfgScale")).toDouble(), 1.0);
    QCOMPARE(offer.value(QStringLiteral("schedule")).toString(), QStringLiteral("SGM Uniform"));
    QVERIFY(rules.suggest(QStringLiteral("v1-5-pruned-emaonly"), QStringLiteral("a fox")).isEmpty());
  }
};

QTEST_APPLESS_MAIN(FewStepDefaultsTest)

#include "test_few_step_defaults.moc"
