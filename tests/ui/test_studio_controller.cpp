// StudioController driven through real generations with the tiny SD1 model (64x64): the
// queue, the order of progress signals, previews, results in the gallery, cancellation,
// errors, and how long the UI thread can stall meanwhile.
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "core/error.h"
#include "core/library/library_settings.h"
#include "core/io/png.h"
#include "core/pipeline/pipeline.h"
#include "core/upscale/upscaler.h"
#include "ui/mask_document.h"
#include "ui/params_map.h"
#include "ui/studio_controller.h"

using atelier::ui::StudioController;

namespace {

QVariantMap tiny_job(int steps, qint64 seed = 42) {
  return {{QStringLiteral("prompt"), QStringLiteral("a tiny red fox")},
          {QStringLiteral("model"), QStringLiteral(ATELIER_TINY_MODEL)},
          {QStringLiteral("sampler"), QStringLiteral("Euler")},
          {QStringLiteral("steps"), steps},
          {QStringLiteral("width"), 64},
          {QStringLiteral("height"), 64},
          {QStringLiteral("seed"), seed}};
}

// Every signal of interest, in arrival order, as "started", "progress 2/3", "preview", ...
class EventLog : public QObject {
 public:
  explicit EventLog(StudioController& controller) {
    auto* queue = controller.queue();
    connect(queue, &atelier::ui::JobQueue::jobStarted, this, [this] { events << QStringLiteral("started"); });
    connect(queue, &atelier::ui::JobQueue::progressed, this, [this](int, int step, int steps) {
      events << QStringLiteral("progress %1/%2").arg(step).arg(steps);
    });
    connect(&controller, &StudioController::previewChanged, this, [this] { events << QStringLiteral("preview"); });
    connect(&controller, &StudioController::jobFinished, this, [this] { events << QStringLiteral("finished"); });
    connect(queue, &atelier::ui::JobQueue::jobCancelled, this, [this] { events << QStringLiteral("cancelled"); });
    connect(&controller, &StudioController::errorOccurred, this, [this](const QString& m) { events << "error: " + m; });
  }
  QStringList events;
};

}  // namespace

class StudioControllerTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() {
    output_ = std::make_unique<QTemporaryDir>();
    QVERIFY(output_->isValid());
    controller_ = std::make_unique<StudioController>();
    controller_->settings()->setOutputFolder(output_->path());
    controller_->settings()->setThreads(1);  // leave a core to the UI thread on small CI machines
    controller_->addModelFile(QStringLiteral(ATELIER_TINY_MODEL));
  }
  void cleanup() {
    controller_.reset();
    output_.reset();
  }

  void modelCatalogListsTheTinyModel() {
    const int row = controller_->models()->indexOfPath(QStringLiteral(ATELIER_TINY_MODEL));
    QVERIFY(row >= 0);
    const auto entry = controller_->models()->get(row);
    QVERIFY2(entry.value(QStringLiteral("supported")).toBool(), qPrintable(entry.value(QStringLiteral("reason")).toString()));
    QVERIFY(entry.value(QStringLiteral("description")).toString().startsWith(QStringLiteral("SD1")));
  }

  // Every form a checkpoint comes in is listed as the model it is: a pickle (read, never run)
  // and a diffusers folder.
  void everyCheckpointFormIsListed() {
    const QString formats = QStringLiteral(ATELIER_FIXTURES_DIR) + QStringLiteral("/sd1-tiny-formats");
    if (QStringLiteral(ATELIER_FIXTURES_DIR).isEmpty() || !QFile::exists(formats))
      QSKIP("the sd1-tiny-formats fixture is not in ATELIER_FIXTURES_DIR");
    for (const QString& form : {formats + QStringLiteral("/ckpt/model.ckpt"), formats + QStringLiteral("/diffusers")}) {
      controller_->addModelFile(form);
      const auto entry = controller_->models()->get(controller_->models()->indexOfPath(form));
      QVERIFY2(entry.value(QStringLiteral("supported")).toBool(), qPrintable(form + ": " + entry.value(QStringLiteral("reason")).toString()));
      QCOMPARE(entry.value(QStringLiteral("family")).toString(), QStringLiteral("SD1.x"));
    }
    const QString hostile = formats + QStringLiteral("/malicious/os_system.ckpt");
    controller_->addModelFile(hostile);
    const auto refused = controller_->models()->get(controller_->models()->indexOfPath(hostile));
    QVERIFY(!refused.value(QStringLiteral("supported")).toBool());
    QVERIFY2(refused.value(QStringLiteral("reason")).toString().contains(QStringLiteral("os.system")),
             qPrintable(refused.value(QStringLiteral("reason")).toString()));
  }

  // A library root in the settings: an A1111 install, scanned off the UI thread, its checkpoints
  // in the picker, and the root shared with atelier-cli.
  void libraryRootsAreScannedInTheBackground() {
    QTemporaryDir webui;
    QVERIFY(QDir(webui.path()).mkpath(QStringLiteral("models/Stable-diffusion/sub")));
    QVERIFY(QFile::link(QStringLiteral(ATELIER_TINY_MODEL), webui.path() + QStringLiteral("/models/Stable-diffusion/sub/webui-tiny.safetensors")));
    auto* settings = controller_->settings();
    const QStringList before = settings->modelFolders();
    settings->setModelFolders({webui.path()});
    auto* models = controller_->models();
    QTRY_VERIFY_WITH_TIMEOUT(models->indexOfName(QStringLiteral("webui-tiny")) >= 0, 20'000);
    const auto entry = models->get(models->indexOfName(QStringLiteral("webui-tiny")));
    QVERIFY(entry.value(QStringLiteral("supported")).toBool());
    QCOMPARE(entry.value(QStringLiteral("family")).toString(), QStringLiteral("SD1.x"));
    QVERIFY(models->indexOfPath(QStringLiteral(ATELIER_TINY_MODEL)) >= 0);  // the file added by hand stays
    QCOMPARE(atelier::read_library_roots(), std::vector<std::filesystem::path>{webui.path().toStdString()});

    settings->setModelFolders(before);
    QTRY_VERIFY_WITH_TIMEOUT(models->indexOfName(QStringLiteral("webui-tiny")) < 0 && !models->scanning(), 20'000);
  }

  // The form's hires fix through an upscaler of the library, named as the form lists it: the
  // pixels the pipeline gives for those settings, and the settings recalled from the image.
  void hiresFixWithALibraryUpscaler() {
    QTemporaryDir webui;
    QVERIFY(QDir(webui.path()).mkpath(QStringLiteral("models/ESRGAN")));
    QVERIFY(QDir(webui.path()).mkpath(QStringLiteral("models/Stable-diffusion")));  // how an A1111 root is known
    const QString upscaler = QStringLiteral(ATELIER_TEST_DATA_DIR "/upscalers/rrdb_x2.pth");
    QVERIFY(QFile::link(upscaler, webui.path() + QStringLiteral("/models/ESRGAN/rrdb_x2.pth")));
    auto* settings = controller_->settings();
    const QStringList before = settings->modelFolders();
    settings->setModelFolders({webui.path()});
    QTRY_VERIFY_WITH_TIMEOUT(controller_->models()->upscalers().contains(QStringLiteral("rrdb_x2")), 20'000);
    QCOMPARE(controller_->hiresUpscalers().mid(0, 2), QStringList({QStringLiteral("Latent"), QStringLiteral("Latent (antialiased)")}));
    QVERIFY(controller_->hiresUpscalers().contains(QStringLiteral("Lanczos")));

    auto job = tiny_job(2);
    job[QStringLiteral("hiresFix")] = true;
    job[QStringLiteral("hiresUpscaler")] = QStringLiteral("rrdb_x2");
    job[QStringLiteral("hiresScale")] = 2.0;
    job[QStringLiteral("hiresSteps")] = 1;
    job[QStringLiteral("denoisingStrength")] = 0.5;
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    const int gallery_before = controller_->gallery()->rowCount();
    QVERIFY(controller_->generate(job) > 0);
    QVERIFY(finished.wait(300'000));
    const QImage made(finished.front().at(1).toStringList().front());
    QCOMPARE(made.size(), QSize(128, 128));

    atelier::Pipeline pipeline(ATELIER_TINY_MODEL, atelier::DeviceChoice::Cpu);
    pipeline.set_upscaler_finder([&](atelier::ModelKind, std::string_view name) {
      return name == "rrdb_x2" ? std::optional<std::filesystem::path>(upscaler.toStdString()) : std::nullopt;
    });
    job[QStringLiteral("threads")] = 1;  // as the studio's settings above
    const auto expected = pipeline.generate(atelier::ui::to_generation_params(job)).at(0).image;
    QCOMPARE(expected.width, 128);
    int largest = 0;
    for (int y = 0; y < made.height(); ++y)
      for (int x = 0; x < made.width(); ++x) {
        const QColor got = made.pixelColor(x, y);
        const auto* want = &expected.rgb[(static_cast<std::size_t>(y) * expected.width + x) * 3];
        largest = std::max({largest, std::abs(got.red() - want[0]), std::abs(got.green() - want[1]),
                            std::abs(got.blue() - want[2])});
      }
    QVERIFY2(largest <= 1, qPrintable(QStringLiteral("largest channel difference %1").arg(largest)));

    QTRY_COMPARE(controller_->gallery()->rowCount(), gallery_before + 1);
    const auto recalled = controller_->recallParameters(0);
    QCOMPARE(recalled.value(QStringLiteral("hiresFix")).toBool(), true);
    QCOMPARE(recalled.value(QStringLiteral("hiresUpscaler")).toString(), QStringLiteral("rrdb_x2"));
    QCOMPARE(recalled.value(QStringLiteral("hiresSteps")).toInt(), 1);
    QCOMPARE(recalled.value(QStringLiteral("denoisingStrength")).toDouble(), 0.5);
    settings->setModelFolders(before);
  }

  // The gallery's Upscale action with a library model: the upscaler's own pixels at twice the
  // size, the source's parameters kept beside A1111's postprocessing fields, the copy in the
  // gallery; requests that cannot run are refused before they queue.
  void upscaleActionAddsALargerCopy() {
    QTemporaryDir webui;
    QVERIFY(QDir(webui.path()).mkpath(QStringLiteral("models/ESRGAN")));
    QVERIFY(QDir(webui.path()).mkpath(QStringLiteral("models/Stable-diffusion")));
    const QString model_file = QStringLiteral(ATELIER_TEST_DATA_DIR "/upscalers/rrdb_x2.pth");
    QVERIFY(QFile::link(model_file, webui.path() + QStringLiteral("/models/ESRGAN/rrdb_x2.pth")));
    auto* settings = controller_->settings();
    const QStringList before = settings->modelFolders();
    settings->setModelFolders({webui.path()});
    QTRY_VERIFY_WITH_TIMEOUT(controller_->upscalerNames().contains(QStringLiteral("rrdb_x2")), 20'000);
    QCOMPARE(controller_->upscalerNames().mid(0, 2), QStringList({QStringLiteral("Lanczos"), QStringLiteral("Nearest")}));

    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    const int gallery_before = controller_->gallery()->rowCount();
    QVERIFY(controller_->generate(tiny_job(2)) > 0);
    QVERIFY(finished.wait(300'000));
    const QString source = finished.front().at(1).toStringList().front();

    QVERIFY(controller_->upscale(source, QStringLiteral("rrdb_x2"), 2.0) > 0);
    QVERIFY(finished.wait(300'000));
    const QString copy = finished.at(1).at(1).toStringList().front();
    QVERIFY(copy != source);
    QCOMPARE(controller_->lastSeed(), 42);  // the generation's, not the upscale's
    const auto made = atelier::load_image(copy.toStdString());
    const auto expected = atelier::Upscaler::model(model_file.toStdString()).upscale(atelier::load_image(source.toStdString()), 2.0);
    QCOMPARE(made.width, 128);
    QVERIFY(made.rgb == expected.rgb);
    const auto details = controller_->imageDetails(copy);
    const QString text = details.value(QStringLiteral("text")).toString();
    QVERIFY2(text.contains(QStringLiteral("a tiny red fox")), qPrintable(text));
    std::string postprocessing;
    for (const auto& chunk : atelier::read_png_texts(copy.toStdString()))
      if (chunk.keyword == "postprocessing") postprocessing = chunk.text;
    QCOMPARE(QString::fromStdString(postprocessing), QStringLiteral("Postprocess upscale by: 2, Postprocess upscaler: rrdb_x2"));
    QTRY_COMPARE(controller_->gallery()->rowCount(), gallery_before + 2);  // the source and its copy

    QSignalSpy errors(controller_.get(), &StudioController::errorOccurred);
    QCOMPARE(controller_->upscale(output_->filePath(QStringLiteral("missing.png")), QStringLiteral("Lanczos"), 2.0), -1);
    QCOMPARE(controller_->upscale(source, QStringLiteral("4x-NotInTheLibrary"), 2.0), -1);
    QCOMPARE(controller_->upscale(source, QStringLiteral("Lanczos"), 0.0), -1);
    QCOMPARE(errors.size(), 3);
    settings->setModelFolders(before);
  }

  // SDXL base and refiner from the fixtures: the catalog's family, size and refiner list, and a
  // generation handed to the refiner whose recall finds it again.
  void sdxlRefinerIsListedGeneratedAndRecalled() {
    const QString fixtures = QStringLiteral(ATELIER_FIXTURES_DIR);
    const QString base = fixtures + QStringLiteral("/sdxl-tiny/base.safetensors");
    const QString refiner = fixtures + QStringLiteral("/sdxl-tiny/refiner.safetensors");
    if (fixtures.isEmpty() || !QFile::exists(base) || !QFile::exists(refiner))
      QSKIP("the sdxl-tiny fixture is not in ATELIER_FIXTURES_DIR");
    controller_->addModelFile(base);
    controller_->addModelFile(refiner);
    auto* models = controller_->models();
    const auto base_entry = models->get(models->indexOfPath(base));
    QCOMPARE(base_entry.value(QStringLiteral("family")).toString(), QStringLiteral("SDXL base"));
    QCOMPARE(base_entry.value(QStringLiteral("defaultWidth")).toInt(), 1024);
    QCOMPARE(base_entry.value(QStringLiteral("isRefiner")).toBool(), false);
    QCOMPARE(models->get(models->indexOfPath(refiner)).value(QStringLiteral("isRefiner")).toBool(), true);
    QCOMPARE(models->refiners().size(), 1);
    QCOMPARE(models->refiners().front().toMap().value(QStringLiteral("path")).toString(), refiner);

    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    auto job = tiny_job(4);
    job[QStringLiteral("model")] = base;
    job[QStringLiteral("refiner")] = refiner;
    job[QStringLiteral("refinerSwitchAt")] = 0.5;
    QVERIFY(controller_->generate(job) > 0);
    QVERIFY(finished.wait(300'000));
    const auto details = controller_->imageDetails(finished.front().at(1).toStringList().front());
    QVERIFY2(details.value(QStringLiteral("text")).toString().contains(QStringLiteral("Refiner switch at: 0.5")),
             qPrintable(details.value(QStringLiteral("text")).toString()));
    QVERIFY(details.value(QStringLiteral("text")).toString().contains(QStringLiteral("Refiner: refiner [")));
    const auto recalled = details.value(QStringLiteral("parameters")).toMap();
    QCOMPARE(recalled.value(QStringLiteral("refiner")).toString(), refiner);
    QCOMPARE(recalled.value(QStringLiteral("refinerSwitchAt")).toDouble(), 0.5);
  }

  // A re-run from the gallery after the model, its LoRA and its VAE were renamed: the library
  // finds each by the hash the image recorded and the image comes out the same; with the LoRA
  // gone, the error names it. An unreadable embedding the prompt names is told in the status.
  void rerunFindsRenamedFilesByHash() {
    const QString fixtures = QStringLiteral(ATELIER_FIXTURES_DIR);
    const QString lora = fixtures + QStringLiteral("/sd1-tiny-networks/lora/tiny_lora.safetensors");
    const QString embedding = fixtures + QStringLiteral("/sd1-tiny-networks/embeddings/tinystyle.pt");
    const QString vae = fixtures + QStringLiteral("/sd1-tiny-formats/vae/vae-tiny-ft-mse.safetensors");
    if (fixtures.isEmpty() || !QFile::exists(lora) || !QFile::exists(vae))
      QSKIP("the sd1-tiny-networks and sd1-tiny-formats fixtures are not in ATELIER_FIXTURES_DIR");
    QTemporaryDir webui;
    const QDir root(webui.path());
    for (const char* folder : {"models/Stable-diffusion", "models/Lora", "models/VAE", "embeddings"})
      QVERIFY(root.mkpath(QLatin1String(folder)));
    const QString model = root.filePath(QStringLiteral("models/Stable-diffusion/tiny.safetensors"));
    QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), model));
    QVERIFY(QFile::copy(lora, root.filePath(QStringLiteral("models/Lora/fox.safetensors"))));
    QVERIFY(QFile::copy(vae, root.filePath(QStringLiteral("models/VAE/soft.safetensors"))));
    QVERIFY(QFile::copy(embedding, root.filePath(QStringLiteral("embeddings/tinystyle.pt"))));
    QFile smudge(root.filePath(QStringLiteral("embeddings/Smudge.pt")));
    QVERIFY(smudge.open(QIODevice::WriteOnly));
    smudge.write("PK\x03\x04 cut short");
    smudge.close();
    auto* settings = controller_->settings();
    const QStringList before = settings->modelFolders();
    settings->setModelFolders({webui.path()});
    auto* models = controller_->models();
    QTRY_VERIFY_WITH_TIMEOUT(models->indexOfName(QStringLiteral("tiny")) >= 0 && !models->scanning(), 20'000);

    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    QSignalSpy errors(controller_.get(), &StudioController::errorOccurred);
    auto job = tiny_job(2);
    job[QStringLiteral("model")] = model;
    job[QStringLiteral("prompt")] = QStringLiteral("tinystyle, a fox, smudge <lora:fox:0.8>");
    job[QStringLiteral("vae")] = QStringLiteral("soft.safetensors");
    QVERIFY(controller_->generate(job) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !errors.isEmpty(), 300'000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
    const QString first = finished.front().at(1).toStringList().front();
    QVERIFY2(controller_->status().contains(QStringLiteral("Smudge could not be read")), qPrintable(controller_->status()));

    const auto rename = [&](const char* from, const char* to) {
      return QFile::rename(root.filePath(QLatin1String(from)), root.filePath(QLatin1String(to)));
    };
    QVERIFY(rename("models/Stable-diffusion/tiny.safetensors", "models/Stable-diffusion/renamed.safetensors"));
    QVERIFY(rename("models/Lora/fox.safetensors", "models/Lora/fox-v2.safetensors"));
    QVERIFY(rename("models/VAE/soft.safetensors", "models/VAE/soft-v2.safetensors"));
    controller_->rescanModels();
    QTRY_VERIFY_WITH_TIMEOUT(models->indexOfName(QStringLiteral("renamed")) >= 0 && !models->scanning(), 20'000);

    const auto recalled = controller_->imageDetails(first).value(QStringLiteral("parameters")).toMap();
    QCOMPARE(recalled.value(QStringLiteral("modelName")).toString(), QStringLiteral("tiny"));
    QVERIFY(!recalled.contains(QStringLiteral("model")));  // not listed by that name any more
    QSignalSpy found(models, &atelier::ui::ModelCatalog::foundByHash);
    models->findByHash(QStringLiteral("checkpoint"), recalled.value(QStringLiteral("modelHash")).toString());
    models->findByHash(QStringLiteral("vae"), recalled.value(QStringLiteral("vaeHash")).toString());
    models->findByHash(QStringLiteral("checkpoint"), QStringLiteral("0123456789"));
    QTRY_COMPARE_WITH_TIMEOUT(found.size(), 3, 20'000);
    QCOMPARE(found.at(0).at(2).toString(), root.filePath(QStringLiteral("models/Stable-diffusion/renamed.safetensors")));
    QCOMPARE(found.at(1).at(2).toString(), root.filePath(QStringLiteral("models/VAE/soft-v2.safetensors")));
    QCOMPARE(found.at(2).at(2).toString(), QString());
    const auto warnings = controller_->addons()->promptWarnings(recalled.value(QStringLiteral("prompt")).toString(),
                                                                recalled.value(QStringLiteral("loraHashes")).toString());
    QVERIFY2(warnings.join('\n').contains(QStringLiteral("looks for its hash")), qPrintable(warnings.join('\n')));

    // What the form sends once it has chosen the files found.
    auto rerun = recalled;
    rerun[QStringLiteral("model")] = found.at(0).at(2);
    rerun[QStringLiteral("vae")] = QStringLiteral("soft-v2.safetensors");
    QVERIFY(controller_->generate(rerun) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 2 || !errors.isEmpty(), 300'000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).toString()));
    QCOMPARE(QImage(finished.at(1).at(1).toStringList().front()), QImage(first));

    QVERIFY(QFile::remove(root.filePath(QStringLiteral("models/Lora/fox-v2.safetensors"))));
    QVERIFY(controller_->generate(rerun) > 0);
    QVERIFY(errors.wait(300'000));
    QVERIFY2(errors.front().front().toString().contains(QStringLiteral("LoRA not found: fox")),
             qPrintable(errors.front().front().toString()));
    settings->setModelFolders(before);
  }

  void wholeGeneration() {
    EventLog log(*controller_);
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    const int gallery_before = controller_->gallery()->rowCount();

    const int id = controller_->generate(tiny_job(3));
    QVERIFY(id > 0);
    QCOMPARE(controller_->queue()->rowCount(), 1);  // queued at once, running on the worker
    QVERIFY(controller_->queue()->busy());
    QVERIFY(finished.wait(300'000));

    // Progress in order, a preview with each step, then the result.
    QStringList expected{QStringLiteral("started")};
    for (int step = 1; step <= 3; ++step) expected << QStringLiteral("progress %1/3").arg(step) << QStringLiteral("preview");
    expected << QStringLiteral("finished");
    QCOMPARE(log.events, expected);

    const auto paths = finished.front().at(1).toStringList();
    QCOMPARE(paths.size(), 1);
    QVERIFY(QFile::exists(paths.front()));
    QCOMPARE(controller_->lastSeed(), 42);
    QVERIFY(!controller_->resultUrl().isEmpty());
    QCOMPARE(controller_->step(), 3);
    QCOMPARE(controller_->steps(), 3);
    QCOMPARE(controller_->queue()->rowCount(), 0);

    // The new image leads the gallery once the index has scanned it, with the parameters it
    // was made with.
    QTRY_COMPARE(controller_->gallery()->rowCount(), gallery_before + 1);
    const auto recalled = controller_->recallParameters(0);
    QCOMPARE(recalled.value(QStringLiteral("prompt")).toString(), QStringLiteral("a tiny red fox"));
    QCOMPARE(recalled.value(QStringLiteral("seed")).toLongLong(), 42);
    QCOMPARE(recalled.value(QStringLiteral("steps")).toInt(), 3);
    QCOMPARE(recalled.value(QStringLiteral("width")).toInt(), 64);
    QCOMPARE(recalled.value(QStringLiteral("model")).toString(), QStringLiteral(ATELIER_TINY_MODEL));
  }

  // The worker reloads the model when the setting changes; the image stays the same.
  void lowMemorySettingGivesTheSameImage() {
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    controller_->generate(tiny_job(2));
    QVERIFY(finished.wait(300'000));
    controller_->settings()->setLowMemory(true);
    controller_->generate(tiny_job(2));
    QVERIFY(finished.wait(300'000));
    controller_->settings()->setLowMemory(false);

    const QImage standard(finished.at(0).at(1).toStringList().front());
    const QImage low(finished.at(1).at(1).toStringList().front());
    QCOMPARE(low.size(), standard.size());
    int largest = 0;
    for (int y = 0; y < low.height(); ++y)
      for (int x = 0; x < low.width(); ++x) {
        const QColor a = low.pixelColor(x, y), b = standard.pixelColor(x, y);
        largest = std::max({largest, std::abs(a.red() - b.red()), std::abs(a.green() - b.green()),
                            std::abs(a.blue() - b.blue())});
      }
    QVERIFY2(largest <= 1, qPrintable(QStringLiteral("largest channel difference %1").arg(largest)));
  }

  void pastesAnImageAsAnInitImageFile() {
    QImage red(32, 16, QImage::Format_RGB32);
    red.fill(Qt::red);
    QGuiApplication::clipboard()->setImage(red);
    const QString path = controller_->pasteImage();
    QVERIFY(!path.isEmpty());
    const QImage saved(path);
    QCOMPARE(saved.size(), QSize(32, 16));
    QCOMPARE(saved.pixelColor(3, 3), QColor(Qt::red));

    QSignalSpy errors(controller_.get(), &StudioController::errorOccurred);
    QGuiApplication::clipboard()->setText(QStringLiteral("not an image"));
    QVERIFY(controller_->pasteImage().isEmpty());
    QCOMPARE(errors.size(), 1);
  }

  // The form's inpainting keys (params_map.h) reach GenerationParams, A1111's labels included.
  void inpaintSettingsReachTheParams() {
    const QVariantMap form{{QStringLiteral("maskBlur"), 9},           {QStringLiteral("invertMask"), true},
                           {QStringLiteral("maskedContent"), QStringLiteral("latent noise")},
                           {QStringLiteral("inpaintArea"), QStringLiteral("Only masked")},
                           {QStringLiteral("maskedPadding"), 40},      {QStringLiteral("outpaintLeft"), 16},
                           {QStringLiteral("outpaintRight"), 24},      {QStringLiteral("outpaintTop"), 32},
                           {QStringLiteral("outpaintBottom"), 8},      {QStringLiteral("tiling"), true}};
    const auto params = atelier::ui::to_generation_params(form);
    QCOMPARE(params.mask_blur, 9);
    QVERIFY(params.invert_mask);
    QVERIFY(params.masked_content == atelier::GenerationParams::MaskedContent::LatentNoise);
    QVERIFY(params.inpaint_area == atelier::GenerationParams::InpaintArea::OnlyMasked);
    QCOMPARE(params.masked_padding, 40);
    QCOMPARE(params.outpaint.left, 16);
    QCOMPARE(params.outpaint.right, 24);
    QCOMPARE(params.outpaint.top, 32);
    QCOMPARE(params.outpaint.bottom, 8);
    QVERIFY(params.tiling);
    const auto back = atelier::ui::to_variant_map(params);
    for (auto it = form.begin(); it != form.end(); ++it) QCOMPARE(back.value(it.key()), it.value());
    QCOMPARE(controller_->defaults().value(QStringLiteral("maskedContent")).toString(), QStringLiteral("original"));
    QVERIFY(controller_->maskedContents().contains(QStringLiteral("latent nothing")));
    QCOMPARE(controller_->inpaintAreas(), QStringList({QStringLiteral("Whole picture"), QStringLiteral("Only masked")}));

    QVERIFY_THROWS_EXCEPTION(atelier::InvalidArgument,
                             atelier::ui::to_generation_params({{QStringLiteral("inpaintArea"), QStringLiteral("Everywhere")}}));
  }

  // A mask as the editor writes it (white repaints): with no blur, the kept half comes back as it was.
  void maskedGenerationKeepsWhatTheMaskKeeps() {
    QImage picture(64, 64, QImage::Format_RGB32);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) picture.setPixel(x, y, qRgb(4 * x, 4 * y, 128));
    const QString init = output_->filePath(QStringLiteral("init.png"));
    QVERIFY(picture.save(init));
    atelier::ui::MaskDocument mask;
    mask.reset({64, 64});
    mask.begin_stroke(true, 12, 1, {0, 10});
    mask.extend_stroke({28, 54});
    const QString mask_file = controller_->newMaskFile();
    QVERIFY(mask.rasterize().save(mask_file));

    auto job = tiny_job(2);
    job[QStringLiteral("initImage")] = init;
    job[QStringLiteral("mask")] = mask_file;
    job[QStringLiteral("maskBlur")] = 0;
    job[QStringLiteral("denoisingStrength")] = 1.0;
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    QVERIFY(controller_->generate(job) >= 0);
    QVERIFY(finished.wait(120'000));
    const QImage result(finished.front().at(1).toStringList().front());
    QCOMPARE(result.size(), QSize(64, 64));
    const QImage kept = mask.rasterize();
    int changed_kept = 0, changed_repainted = 0;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const bool same = result.pixel(x, y) == picture.pixel(x, y);
        if (kept.constScanLine(y)[x] == 0) changed_kept += !same;
        if (kept.constScanLine(y)[x] == 255) changed_repainted += !same;
      }
    QCOMPARE(changed_kept, 0);
    QVERIFY(changed_repainted > 100);
  }

  void cancelMidRun() {
    EventLog log(*controller_);
    QSignalSpy cancelled(controller_->queue(), &atelier::ui::JobQueue::jobCancelled);
    connect(controller_->queue(), &atelier::ui::JobQueue::progressed, controller_.get(),
            [this](int, int step) { if (step == 2) controller_->cancel(); });
    const int images_before = count_images();
    controller_->generate(tiny_job(200));
    QVERIFY(cancelled.wait(300'000));

    QVERIFY(log.events.contains(QStringLiteral("progress 2/200")));
    QVERIFY(!log.events.contains(QStringLiteral("progress 200/200")));
    QVERIFY(!log.events.contains(QStringLiteral("finished")));
    QCOMPARE(count_images(), images_before);
    QCOMPARE(controller_->queue()->rowCount(), 0);
    QVERIFY(!controller_->queue()->busy());
  }

  void errorsAreReportedAndTheQueueGoesOn() {
    QSignalSpy errors(controller_.get(), &StudioController::errorOccurred);
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    auto missing = tiny_job(2);
    missing[QStringLiteral("model")] = output_->filePath(QStringLiteral("missing.safetensors"));
    QVERIFY(controller_->generate(missing) > 0);
    QVERIFY(controller_->generate(tiny_job(2)) > 0);  // queued behind the failing one
    QVERIFY(finished.wait(300'000));
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.front().front().toString().contains(QStringLiteral("missing.safetensors")),
             qPrintable(errors.front().front().toString()));

    auto bad_size = tiny_job(2);
    bad_size[QStringLiteral("width")] = 63;
    QCOMPARE(controller_->generate(bad_size), -1);  // refused before queueing
    QCOMPARE(errors.size(), 2);
  }

  void pendingJobsCanBeReorderedAndRemoved() {
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    auto* queue = controller_->queue();
    const int running = controller_->generate(tiny_job(3, 1));
    const int second = controller_->generate(tiny_job(2, 2));
    const int third = controller_->generate(tiny_job(2, 3));
    const int fourth = controller_->generate(tiny_job(2, 4));
    auto id_at = [&](int row) { return queue->data(queue->index(row), atelier::ui::JobQueue::JobIdRole).toInt(); };
    QCOMPARE(id_at(0), running);

    queue->move(3, 1);  // fourth first among the pending
    queue->move(0, 2);  // the running job cannot move
    QCOMPARE(id_at(0), running);
    QCOMPARE(id_at(1), fourth);
    QCOMPARE(id_at(2), second);
    queue->remove(second);
    queue->remove(running);  // only pending jobs can be removed
    QCOMPARE(queue->rowCount(), 3);
    QCOMPARE(id_at(2), third);

    while (finished.size() < 3) QVERIFY(finished.wait(300'000));
    QCOMPARE(finished.at(0).at(0).toInt(), running);
    QCOMPARE(finished.at(1).at(0).toInt(), fourth);
    QCOMPARE(finished.at(2).at(0).toInt(), third);
  }

  // A 5 ms timer on the UI thread during a generation: the longest gap between its ticks,
  // minus its interval, is the longest the window could not respond.
  void uiThreadNeverStalls() {
    QSignalSpy finished(controller_.get(), &StudioController::jobFinished);
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 longest = 0;
    int ticks = 0;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(5);
    connect(&timer, &QTimer::timeout, this, [&] {
      const auto now = clock.elapsed();
      longest = std::max(longest, now - last);
      last = now;
      ++ticks;
    });
    clock.start();
    timer.start();
    controller_->generate(tiny_job(30));
    QVERIFY(finished.wait(300'000));
    timer.stop();
    const auto stall = longest - timer.interval();
    qInfo("UI thread: %d ticks over %lld ms of generation; longest stall %lld ms", ticks, clock.elapsed(), stall);
    QVERIFY(ticks > 10);
    QVERIFY2(stall < 50, qPrintable(QStringLiteral("longest stall %1 ms").arg(stall)));
  }

 private:
  // PNGs anywhere under the output folder (images go into a folder a day).
  int count_images() const {
    int count = 0;
    for (QDirIterator it(output_->path(), {QStringLiteral("*.png")}, QDir::Files, QDirIterator::Subdirectories);
         it.hasNext(); it.next())
      ++count;
    return count;
  }

  std::unique_ptr<QTemporaryDir> output_;  // a fresh output folder per test
  std::unique_ptr<StudioController> controller_;
};

int main(int argc, char* argv[]) {
  QGuiApplication app(argc, argv);
  StudioControllerTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_studio_controller.moc"
