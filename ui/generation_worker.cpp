#include "ui/generation_worker.h"

#include <chrono>

#include "core/error.h"
#include "core/gallery/image_output.h"
#include "core/gallery/output_folder.h"
#include "core/gallery/params_json.h"
#include "core/gallery/upscaled_image.h"
#include "core/io/png.h"
#include "core/pipeline/input_files.h"
#include "core/library/library_addons.h"
#include "core/library/library_roots.h"
#include "core/library/library_settings.h"
#include "core/pipeline/pipeline.h"
#include "core/upscale/upscaler.h"
#include "ui/hosted_turn.h"
#include "ui/params_map.h"

namespace atelier::ui {
namespace {

QImage to_qimage(const Image8& image) {
  QImage out(image.width, image.height, QImage::Format_RGB888);
  for (int y = 0; y < image.height; ++y)
    std::copy_n(image.rgb.data() + static_cast<std::size_t>(y) * image.width * 3, image.width * 3, out.scanLine(y));
  return out;
}

// The job's library file of a kind by name (a hires or Upscale action's upscaler); none without one.
ModelResolver names_in(std::shared_ptr<ModelLibrary> library) {
  return [library = std::move(library)](ModelKind kind, std::string_view name) -> std::optional<std::filesystem::path> {
    const auto found = library ? library->find(kind, name) : std::nullopt;
    return found ? std::optional(found->path) : std::nullopt;
  };
}

}  // namespace

GenerationWorker::GenerationWorker(QObject* parent) : QObject(parent) {
  // The API's jobs load through the same cache: the studio shows their loads too.
  pipelines_.set_load_listener([this](const std::filesystem::path& model) {
    Q_EMIT status(job_id_, tr("Loading %1…").arg(QString::fromStdString(model.string())));
  });
}

GenerationWorker::~GenerationWorker() = default;

void GenerationWorker::run(const GenerationJob& job) {
  job_id_ = job.id;
  Q_EMIT started(job.id);
  try {
    if (job.cancel->load()) throw Cancelled();
    if (job.upscale) return upscale(job);
    if (job.hosted) return run_hosted(job);
    auto params = to_generation_params(job.params);
    validate(params);
    // The prompt's LoRAs and embeddings and the VAE, from the library's folders as Settings lists them now.
    const auto roots = library_roots_with_own(read_library_roots());
    const auto addons = std::make_shared<const AddonFolders>(
        library_addon_folders(roots),
        job.library ? library_hash_lookup([library = job.library]() -> ModelLibrary& { return *library; }) : AddonFolders::HashLookup{});
    check_input_files(params, *addons);  // a bad input file fails before the model loads
    Pipeline& pipeline = pipelines_.get(params.model, params.device, job.low_memory ? MemoryMode::Low : MemoryMode::Standard);
    pipeline.set_addon_folders(addons);
    pipeline.set_upscaler_finder(names_in(job.library));
    params.model_hash = hashes_.autov2(params.model);
    if (params.refiner) params.refiner_hash = hashes_.autov2(*params.refiner);
    const auto vae = pipeline.vae_for(params);
    params.vae_hash = vae ? hashes_.autov2(*vae) : "";

    const auto progress = [&](const GenerationProgress& p) {
      Q_EMIT progressed(job.id, p.step, p.steps, p.image_index / params.batch_size, params.batch_count, p.elapsed_seconds);
      if (job.live_preview) Q_EMIT previewReady(job.id, to_qimage(p.preview()));
    };
    const auto started = std::chrono::steady_clock::now();
    const auto images = pipeline.generate(params, progress, job.cancel.get());
    const auto run = make_run_info(pipeline.target(),
                                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

    Q_EMIT status(job.id, tr("Saving…"));
    // A folder a day, as A1111 does, so the gallery stays browsable on disk.
    const auto folder = dated_folder(job.output_folder.toStdString(), std::chrono::system_clock::now());
    const auto paths = sequential_outputs(folder, images);
    QStringList saved;
    for (std::size_t i = 0; i < images.size(); ++i) {
      save_generated_image(paths[i], images[i], run);
      saved << QString::fromStdString(paths[i].string());
    }
    QStringList notes;
    for (const auto& note : images.front().notes) notes << QString::fromStdString(note);
    Q_EMIT finished(job.id, saved, to_qimage(images.front().image), images.front().params.seed, notes);
  } catch (const Cancelled&) {
    Q_EMIT cancelled(job.id);
  } catch (const c10::Error& error) {
    Q_EMIT failed(job.id, QString::fromUtf8(error.what_without_backtrace()));
  } catch (const std::exception& error) {
    // Out of memory and filesystem errors land here too; the worker stays alive for the next
    // job, and a failed load leaves no half-loaded model behind (PipelineCache).
    Q_EMIT failed(job.id, QString::fromUtf8(error.what()));
  }
}

void GenerationWorker::run_hosted(const GenerationJob& job) {
  HostedTurn& turn = *job.hosted;
  if (turn.claim(HostedTurn::Running)) {  // else taken off the queue, or its sender gave up
    Q_EMIT status(job.id, tr("Running %1…").arg(QString::fromStdString(turn.job().title)));
    turn.run(pipelines_, [&](const GenerationProgress& p) {  // the server's batches, one at a time
      Q_EMIT progressed(job.id, p.step, p.steps, 0, 1, p.elapsed_seconds);
    });
  }
  Q_EMIT hostedEnded(job.id);
}

void GenerationWorker::upscale(const GenerationJob& job) {
  const UpscaleRequest& request = *job.upscale;
  Q_EMIT status(job.id, tr("Upscaling with %1…").arg(request.upscaler));
  configure_threads(request.threads);
  const Upscaler upscaler = open_upscaler(request.upscaler.toStdString(), names_in(job.library));
  const std::filesystem::path source = request.source.toStdString();
  const Image8 image = load_image(source);
  const auto texts = png_texts_if_any(source);  // a JPEG's copy carries only the upscale's own
  const Image8 result = upscaler.upscale(image, request.scale);
  if (job.cancel->load()) throw Cancelled();
  const auto folder = dated_folder(job.output_folder.toStdString(), std::chrono::system_clock::now());
  const auto scale = QString::number(request.scale).toStdString();
  const auto path = sequential_outputs(folder, {source.stem().string() + "-x" + scale}).front();
  write_png(path, result, upscaled_image_texts(texts, request.scale, upscaler.name()));
  Q_EMIT finished(job.id, {QString::fromStdString(path.string())}, to_qimage(result), -1, {});
}

}  // namespace atelier::ui
