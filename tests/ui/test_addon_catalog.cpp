// The add-ons panel's model over a small library tree: LoRAs with kohya metadata, the
// sd1-tiny-networks embeddings, previews beside the files found in A1111's order, the search,
// family warnings on cards and prompt tags, VAE names; and what the form takes from it: the token
// counter counting embedding vectors (against A1111's tokens in the fixture) and the `vae` key.
#include <ATen/ATen.h>

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "tests/support/temp_dir.h"
#include "ui/addon_catalog.h"
#include "ui/params_map.h"
#include "ui/prompt_tools.h"

using namespace atelier;
using atelier::ui::AddonCatalog;
namespace fs = std::filesystem;

namespace {

const fs::path kNetworks = fs::path(ATELIER_FIXTURES_DIR) / "sd1-tiny-networks";

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << "image";
}

// A LoRA of one text-encoder MLP module (whose shapes tell no family) with kohya's metadata.
void write_lora(const fs::path& path, const std::map<std::string, std::string>& metadata = {}) {
  fs::create_directories(path.parent_path());
  write_safetensors(path,
                    {{"lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", at::ones({4, 768})},
                     {"lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", at::ones({3072, 4})}},
                    metadata);
}

std::map<std::string, std::string> kohya(const std::string& base, const std::string& output_name) {
  return {{"ss_base_model_version", base}, {"ss_output_name", output_name}, {"ss_network_module", "networks.lora"}};
}

QStringList column(const AddonCatalog& catalog, const char* role) {
  QStringList values;
  for (int row = 0; row < catalog.rowCount(); ++row) values << catalog.get(row).value(QLatin1String(role)).toString();
  return values;
}

nlohmann::json networks_reference() {
  std::ifstream in(kNetworks / "reference.json");
  return nlohmann::json::parse(in);
}

}  // namespace

class AddonCatalogTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY2(fs::exists(kNetworks / "reference.json"), "the sd1-tiny-networks fixtures are missing");
    reference_ = networks_reference();
    const auto root = dir_.path() / "library";
    write_lora(root / "loras" / "ink.safetensors", kohya("sd_v1", "ink_style"));
    write_lora(root / "loras" / "styles" / "xl_style.safetensors", kohya("sdxl_base_v1-0", "xl_style"));
    write_lora(root / "loras" / "bare.safetensors");
    touch(root / "loras" / "ink.preview.png");
    touch(root / "loras" / "ink.png");  // A1111 looks for NAME.png before NAME.preview.png
    touch(root / "loras" / "styles" / "xl_style.preview.jpg");
    fs::create_directories(root / "embeddings");
    for (const char* embedding : {"tinystyle.pt", "glowfx.safetensors"})
      fs::copy_file(kNetworks / "embeddings" / embedding, root / "embeddings" / embedding);
    fs::create_directories(root / "vae");
    write_safetensors(root / "vae" / "kl-f8.safetensors", {{"decoder.conv_in.weight", at::zeros({4, 4, 3, 3})}});

    library_ = std::make_shared<ModelLibrary>(std::vector<fs::path>{root}, dir_.path() / "hashes.json");
    library_->scan();
    QSignalSpy refreshed(&catalog_, &AddonCatalog::refreshed);
    catalog_.refresh(library_);
    QVERIFY(refreshed.wait(10000));
  }

  void previews_follow_a1111s_order() {
    const auto folder = dir_.path() / "previews";
    const auto file = folder / "net.safetensors";
    QCOMPARE(ui::find_preview(file), QString());
    touch(folder / "net.preview.gif");
    QCOMPARE(ui::find_preview(file), QString::fromStdString((folder / "net.preview.gif").string()));
    touch(folder / "net.preview.webp");
    QCOMPARE(ui::find_preview(file), QString::fromStdString((folder / "net.preview.webp").string()));
    touch(folder / "net.jpeg");
    QCOMPARE(ui::find_preview(file), QString::fromStdString((folder / "net.jpeg").string()));
    touch(folder / "net.preview.png");
    QCOMPARE(ui::find_preview(file), QString::fromStdString((folder / "net.preview.png").string()));
    touch(folder / "net.png");
    QCOMPARE(ui::find_preview(file), QString::fromStdString((folder / "net.png").string()));
  }

  void networks_are_cards_by_file_stem() {
    catalog_.setKind(QStringLiteral("lora"));
    catalog_.setSearch({});
    QCOMPARE(column(catalog_, "name"), (QStringList{"bare", "ink", "xl_style"}));
    QCOMPARE(column(catalog_, "family"), (QStringList{"unknown", "SD1.x", "SDXL base"}));
    QCOMPARE(column(catalog_, "insertText"), (QStringList{"<lora:bare:1>", "<lora:ink:1>", "<lora:xl_style:1>"}));
    const auto library = dir_.path() / "library" / "loras";
    QCOMPARE(column(catalog_, "preview"),
             (QStringList{"", QUrl::fromLocalFile(QString::fromStdString((library / "ink.png").string())).toString(),
                          QUrl::fromLocalFile(QString::fromStdString((library / "styles" / "xl_style.preview.jpg").string()))
                              .toString()}));
  }

  void embeddings_are_cards_with_their_vectors() {
    catalog_.setKind(QStringLiteral("embedding"));
    catalog_.setSearch({});
    QCOMPARE(column(catalog_, "name"), (QStringList{"glowfx", "tinystyle"}));
    QCOMPARE(column(catalog_, "insertText"), (QStringList{"glowfx", "tinystyle"}));
    QStringList expected;
    for (const auto& name : {"glowfx", "tinystyle"})
      for (const auto& embedding : reference_["embeddings"])
        if (embedding["name"] == name) expected << QString::number(embedding["vectors"].get<int>());
    QCOMPARE(column(catalog_, "vectors"), expected);
    QCOMPARE(catalog_.embeddingVectors().value(QStringLiteral("tinystyle")).toString(), expected[1]);
  }

  void search_matches_part_of_the_name_or_alias_in_any_case() {
    catalog_.setKind(QStringLiteral("lora"));
    catalog_.setSearch(QStringLiteral("INK"));
    QCOMPARE(column(catalog_, "name"), QStringList{"ink"});
    catalog_.setSearch(QStringLiteral("_sty"));  // ink's alias is ink_style
    QCOMPARE(column(catalog_, "name"), (QStringList{"ink", "xl_style"}));
    catalog_.setSearch(QStringLiteral("nothing"));
    QCOMPARE(catalog_.rowCount(), 0);
    catalog_.setSearch({});
  }

  void cards_of_another_family_warn() {
    catalog_.setKind(QStringLiteral("lora"));
    catalog_.setModelFamily(QStringLiteral("SD1.x"));
    QCOMPARE(column(catalog_, "warning"), (QStringList{"", "", "made for SDXL base; the model is SD1.x"}));
    catalog_.setModelFamily(QStringLiteral("unknown"));
    QCOMPARE(column(catalog_, "warning"), (QStringList{"", "", ""}));
  }

  void prompt_tags_are_checked_against_the_library_and_model() {
    catalog_.setModelFamily(QStringLiteral("SD1.x"));
    const auto warnings = catalog_.promptWarnings(
        QStringLiteral("a fox <lora:ink:0.8> <lora:ink_style:1> <lora:xl_style:1> <lyco:missing:1> <lora:bare:1>"));
    QCOMPARE(warnings.size(), 2);
    QVERIFY2(warnings[0].contains(QLatin1String("xl_style")) && warnings[0].contains(QLatin1String("SDXL base")),
             qPrintable(warnings[0]));
    QVERIFY2(warnings[1].contains(QLatin1String("missing")) && warnings[1].contains(QLatin1String("not in the library")),
             qPrintable(warnings[1]));
    QCOMPARE(catalog_.promptWarnings(QStringLiteral("<lora::1>")).size(), 1);  // no name: the parse error
    catalog_.setModelFamily(QStringLiteral("SDXL base"));
    QCOMPARE(catalog_.promptWarnings(QStringLiteral("<lora:xl_style:1>")), QStringList());
  }

  void vaes_are_named_by_file() { QCOMPARE(catalog_.vaes(), QStringList{"kl-f8.safetensors"}); }

  // A1111's tokens of the fixture prompt: tinystyle takes 3 positions, glowfx 1.
  void token_counter_counts_embedding_vectors() {
    const auto& steps = reference_["textual_inversion_steps"];
    const auto tokens = steps["tokens77"].get<std::vector<int>>();
    const auto end = std::find(tokens.begin() + 1, tokens.end(), 49407);
    const auto expected = QStringLiteral("%1/75").arg(end - tokens.begin() - 1);
    const auto prompt = QString::fromStdString(steps["prompt"].get<std::string>());
    catalog_.setModelFamily(QStringLiteral("SD1.x"));
    ui::PromptTools tools;
    const auto embeddings = catalog_.embeddingVectors();
    QCOMPARE(tools.tokenCounter(prompt, embeddings), expected);
    // Each embedding counts: tinystyle's word is 2 BPE ids, glowfx's 2 (which happens to add up
    // to the same total without either).
    auto without_glowfx = embeddings;
    without_glowfx.remove(QStringLiteral("glowfx"));
    QVERIFY(tools.tokenCounter(prompt, without_glowfx) != expected);
  }

  void vae_choice_goes_through_the_params_map() {
    QCOMPARE(ui::to_generation_params({}).vae, std::string("auto"));
    for (const char* vae : {"none", "kl-f8.safetensors", "/models/vae/x.safetensors"}) {
      const auto params = ui::to_generation_params({{QStringLiteral("vae"), QString::fromLatin1(vae)}});
      QCOMPARE(params.vae, std::string(vae));
      QCOMPARE(ui::to_variant_map(params).value(QStringLiteral("vae")).toString(), QString::fromLatin1(vae));
    }
  }

 private:
  nlohmann::json reference_;  // sd1-tiny-networks' reference.json
  test::TempDir dir_;
  std::shared_ptr<ModelLibrary> library_;
  AddonCatalog catalog_;
};

QTEST_GUILESS_MAIN(AddonCatalogTest)
#include "test_addon_catalog.moc"
