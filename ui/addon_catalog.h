#pragma once
// The model library's add-ons for the studio: the LoRA / LyCORIS networks and embeddings the
// add-ons panel shows as cards (with the preview image beside the file, as A1111's extra networks
// pages find it), the VAEs of the VAE picker, and the checks of a prompt's `<lora:…>` tags against
// the chosen model. It reads the ModelCatalog's scan (never walks the folders itself); previews
// and embeddings' vector counts are read off the UI thread.
#include <QAbstractListModel>
#include <QFutureWatcher>
#include <QStringList>
#include <QThreadPool>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "core/library/model_library.h"

namespace atelier::ui {

struct AddonEntry {
  ModelKind kind = ModelKind::Lora;  // Lora, Lycoris or Embedding
  QString name;                      // the file stem: the prompt's name for it
  QString alias;                     // networks: ss_output_name
  QString path;
  ModelFamily family = ModelFamily::Unknown;
  QString preview;  // the image beside the file, or empty
  int vectors = 0;  // embeddings: the tokens it stands for (0 when unreadable)
  QString problem;  // why the file cannot be read; empty when fine
};

// A1111's find_preview: for each of png, jpg, jpeg, webp, gif, NAME.EXT then NAME.preview.EXT
// beside the file (NAME: the file's path without extension); empty when none exists.
QString find_preview(const std::filesystem::path& file);

// The networks and embeddings of a scanned library with their previews and, for embeddings,
// their vector counts (each file read once, here). Sorted by name.
std::vector<AddonEntry> library_addons(const ModelLibrary& library);

// "made for SDXL base; the model is SD1.x" when both families are known and differ, else empty.
// Families are spelled as family_name() spells them ("unknown" or empty: not known).
QString family_warning(const QString& addon_family, const QString& model_family);

class AddonCatalog : public QAbstractListModel {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("StudioController owns the add-ons catalog")
  Q_PROPERTY(int count READ rowCount NOTIFY rowsChanged)
  // "lora" (LoRA and LyCORIS networks) or "embedding": which the rows show.
  Q_PROPERTY(QString kind READ kind WRITE setKind NOTIFY rowsChanged)
  // Case-insensitive part of the name or alias; empty shows all.
  Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY rowsChanged)
  // The chosen model's family (ModelCatalog's `family` role): what the warnings compare with.
  Q_PROPERTY(QString modelFamily READ modelFamily WRITE setModelFamily NOTIFY revisionChanged)
  // Changes whenever the entries or the model family do: what warnings and counters follow.
  Q_PROPERTY(int revision READ revision NOTIFY revisionChanged)
  Q_PROPERTY(QStringList vaes READ vaes NOTIFY revisionChanged)  // VAE file names, as A1111 lists them
  // Embedding word -> vector count, of the embeddings the model can use (its family, or unknown),
  // for Prompts.tokenCounter.
  Q_PROPERTY(QVariantMap embeddingVectors READ embeddingVectors NOTIFY revisionChanged)
  Q_PROPERTY(bool refreshing READ refreshing NOTIFY refreshingChanged)

 public:
  enum Role { NameRole = Qt::UserRole + 1, KindRole, AliasRole, PathRole, FamilyRole, PreviewRole, VectorsRole,
              ProblemRole, InsertTextRole, WarningRole };

  explicit AddonCatalog(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  QString kind() const { return kind_; }
  void setKind(const QString& kind);
  QString search() const { return search_; }
  void setSearch(const QString& search);
  QString modelFamily() const { return model_family_; }
  void setModelFamily(const QString& family);
  int revision() const { return revision_; }
  QStringList vaes() const { return vaes_; }
  QVariantMap embeddingVectors() const;
  bool refreshing() const { return refreshing_; }

  // Lists the add-ons of `library`'s last scan (in the background; `refreshed` when done).
  void refresh(std::shared_ptr<const ModelLibrary> library);

  // One line for each `<lora:…>` / `<lyco:…>` tag of `prompt` that will not work as asked: a
  // name the library does not hold, a network made for another family than the model's, or a
  // tag that does not parse. A name a re-run's `recordedHashes` ("Lora hashes") gives a hash
  // is said to be looked for by it.
  Q_INVOKABLE QStringList promptWarnings(const QString& prompt, const QString& recordedHashes = {}) const;
  Q_INVOKABLE QVariantMap get(int row) const;

 Q_SIGNALS:
  void rowsChanged();
  void revisionChanged();
  void refreshingChanged();
  void refreshed();

 private:
  struct Listing {
    std::vector<AddonEntry> addons;
    QStringList vaes;
  };
  void show(Listing listing);
  void set_filter(QString& field, const QString& value);  // kind_ or search_
  void filter();  // rows_ from entries_, inside a model reset
  void start_refresh();

  std::vector<AddonEntry> entries_;     // all, by name
  std::vector<const AddonEntry*> rows_;  // those of `kind_` matching `search_`
  QStringList vaes_;
  QString kind_ = QStringLiteral("lora");
  QString search_;
  QString model_family_;
  int revision_ = 0;
  std::shared_ptr<const ModelLibrary> library_;  // as of the last refresh; what tags are looked up in
  std::shared_ptr<const ModelLibrary> pending_;  // asked for while a refresh ran
  bool refreshing_ = false;
  QFutureWatcher<Listing> watcher_;
  QThreadPool pool_;  // last: destroyed first, waiting for a refresh still running
};

}  // namespace atelier::ui
