// atelier-cli: Atelier without a window.
#include <c10/util/Exception.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/pipeline/device_policy.h"

namespace {

constexpr int kUsageError = 2;
constexpr int kInterrupted = 130;  // 128 + SIGINT, as shells report it

struct Command {
  std::string name;
  std::set<std::string> flags;
  std::function<int(atelier::cli::CommandLine&)> run;
  std::string usage;  // its lines of the usage text
};

// The commands in the order the usage text lists them.
const std::vector<Command>& commands() {
  using namespace atelier::cli;
  static const std::vector<Command> all{
      {"tokenize", {"raw"}, run_tokenize,
       "  tokenize [--raw] [--model PATH] TEXT   print the CLIP token ids, one 77-id chunk per line\n"},
      {"inspect", {}, run_inspect,
       "  inspect MODEL                          print what a checkpoint (file or diffusers folder) is and its sizes\n"},
      {"generate", {"quantize", "no-quantize", "tiling", "no-tiling", "low-memory", "invert-mask"}, run_generate,
       "  generate --model PATH|NAME|HASH --prompt TEXT (--output FILE | --output-dir DIR) [options]\n"
       "  generate --from IMAGE.png [--model PATH] (--output FILE | --output-dir DIR) [options]\n"
       "                                         re-run an image from its metadata; options override it\n"
       "      --negative TEXT --steps N --cfg X --sampler NAME --schedule NAME --seed N\n"
       "      --width W --height H (default: the model's, 512 SD1.x, 768 SD2.x v, 1024 SDXL)\n"
       "      --batch-count N --batch-size N --clip-skip N --rng cpu|nv\n"
       "      --variation-seed N --variation-strength X (0..1) --resize-seed-from WxH (A1111's variation seeds)\n"
       "      --quantize | --no-quantize --init-image FILE --strength X\n"
       "      --resize-mode 'just resize'|'crop and resize'|'resize and fill'\n"
       "      --mask FILE (with --init-image; white repaints) --mask-blur N (default 4) --invert-mask\n"
       "      --inpaint-area whole|masked --masked-padding N (default 32; masked: crop around the mask)\n"
       "      --masked-content fill|original|latent-noise|latent-nothing (default original)\n"
       "      --outpaint L,R,T,B (pixels added on each side of --init-image; the output is its size plus\n"
       "            these; over the whole picture the canvas is sampled at its size rounded up to 8)\n"
       "      --hires-scale X | --hires-size WxH (a side 0: proportional) --hires-steps N (0: --steps)\n"
       "            --hires-denoise X (default 0.75) --hires-upscaler NAME (default Latent; Latent (antialiased),\n"
       "            Latent (bicubic), Latent (bicubic antialiased), Latent (nearest), Latent (nearest-exact),\n"
       "            None, Lanczos, Nearest, an upscaler FILE or NAME) --hires-sampler NAME --hires-prompt TEXT\n"
       "            --hires-negative-prompt TEXT: A1111's hires fix, any of them turns it on\n"
       "      --refiner PATH --refiner-switch F (SDXL refiner from F of the steps; 0 < F <= 1, default 0.8)\n"
       "      --vae auto|none|FILE|DIR|NAME (default auto: MODEL.vae.pt/.ckpt/.safetensors beside the model;\n"
       "            NAME: a VAE file name beside the model or in the library's VAE folders)\n"
       "      --tiling | --no-tiling (A1111's Tiling: seamless textures; the VAE then decodes untiled)\n"
       "      --device auto|cpu|cuda|mps --precision auto|full|half (auto: half on GPUs, the VAE in full)\n"
       "      --threads N --vae-tiling auto|on|off --low-memory\n"
       "      --library DIR (repeatable) where a model NAME or HASH is looked up\n"
       "      --lora-dir DIR --embeddings-dir DIR (repeatable) more folders for <lora:NAME:w> and embeddings\n"},
      {"make-test-model", {}, run_make_test_model,
       "  make-test-model --family sd15 --out PATH [--dtype f16|f32] [--seed N]\n"
       "                                         write a checkpoint of the real layout with random weights\n"},
      {"bench", {"json", "low-memory"}, run_bench,
       "  bench --model PATH [--width W --height H --steps N --repeats N --threads T --device D]\n"
       "        [--precision P] [--low-memory] [--json]\n"
       "                                         time load, text encoding, UNet steps and VAE decode\n"},
      {"info", {"json"}, run_info,
       "  info IMAGE.png [--json]                print an image's generation parameters and which tool wrote them\n"},
      {"gallery", {"favourites"}, run_gallery,
       "  gallery scan|list [DIR] | gallery search TEXT [DIR] [options]\n"
       "                                         index a folder of PNGs (default: the output folder) and query it\n"
       "      --model M --sampler S --favourites --page N --limit N --sort newest|oldest|name|largest\n"},
      {"convert-ckpt", {}, run_convert_ckpt,
       "  convert-ckpt FILE.ckpt [--out FILE.safetensors]\n"
       "                                         write a PyTorch checkpoint's state dict as safetensors (nothing in it runs)\n"},
      {"models", {"json", "no-hash"}, run_models,
       "  models list [--library DIR]... [--kind KIND] [--json] [--no-hash]\n"
       "                                         the checkpoints, LoRAs, embeddings, VAEs and upscalers of the\n"
       "                                         model library (default: Atelier's folder and the studio's roots)\n"
       "  models starters                        the starter models models pull fetches by name, with their licences\n"
       "  models pull (URL | OWNER/REPO FILE | STARTER-NAME) [--sha256 HEX] [--dest DIR] [--token T] [--kind KIND]\n"
       "                                         download a model (a link, a Hugging Face file, a starter) into --dest\n"
       "                                         (default: the folder of KIND, default checkpoint, in Atelier's library);\n"
       "                                         FILE.part until complete and verified (--sha256, a starter's own hash);\n"
       "                                         run again to resume; Ctrl-C deletes it; HF_ENDPOINT and HF_TOKEN honoured\n"},
      {"upscale", {}, run_upscale,
       "  upscale IMAGE --upscaler NAME|FILE --scale X --output FILE.png [--tile N] [--tile-overlap N] [--library DIR]\n"
       "                                         enlarge an image as A1111's extras tab: Lanczos, Nearest or an ESRGAN,\n"
       "                                         Real-ESRGAN or compact model (.pth, .safetensors; a file or a name in the\n"
       "                                         library's upscaler folders); X (default 4) other than the model's own is\n"
       "                                         reached with Lanczos, the size rounded down to a multiple of 8; tiles of\n"
       "                                         192 px overlapping by 8 (0: no tiling); keeps the image's parameters\n"},
#ifdef ATELIER_WITH_SERVER
      {"serve", {"low-memory"}, run_serve,
       "  serve [--host 127.0.0.1] [--port 7860] [--api-auth USER:PASSWORD] [--model NAME|PATH]\n"
       "        [--library DIR]... [--output-dir DIR] [--device D] [--low-memory]\n"
       "                                         AUTOMATIC1111's HTTP API (/sdapi/v1) for the tools built on it;\n"
       "                                         a --host off loopback needs --api-auth; save_images writes to\n"
       "                                         --output-dir (default: the studio's output folder)\n"},
#endif
  };
  return all;
}

std::string usage_text() {
  std::string text =
      "usage: atelier-cli COMMAND [options]\n"
      "       atelier-cli COMMAND --help | --help | --version\n"
      "commands:\n";
  for (const auto& command : commands()) text += command.usage;
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  atelier::relaunch_with_runtime_settings(argv);
  const std::string first = argc < 2 ? "" : argv[1];
  if (first == "--version") {
    std::cout << "atelier-cli " << ATELIER_VERSION << "\n";
    return 0;
  }
  if (argc < 2 || first == "--help" || first == "-h") {
    (argc < 2 ? std::cerr : std::cout) << usage_text();
    return argc < 2 ? kUsageError : 0;
  }
  const auto command = std::ranges::find(commands(), first, &Command::name);
  if (command == commands().end()) {
    std::cerr << "atelier-cli: unknown command '" << first << "'\n" << usage_text();
    return kUsageError;
  }
  try {
    auto flags = command->flags;
    flags.insert("help");  // every command answers --help with its part of the usage
    atelier::cli::CommandLine args(std::vector<std::string>(argv + 2, argv + argc), flags);
    if (args.flag("help")) {
      std::cout << "usage: atelier-cli " << command->name << " [options]\n" << command->usage;
      return 0;
    }
    return command->run(args);
  } catch (const atelier::Cancelled&) {
    std::cerr << "atelier-cli " << command->name << ": cancelled, nothing written\n";
    return kInterrupted;
  } catch (const atelier::Error& e) {
    std::cerr << "atelier-cli " << command->name << ": " << e.what() << "\n";
    return kUsageError;
  } catch (const c10::Error& e) {
    std::cerr << "atelier-cli " << command->name << ": " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "atelier-cli " << command->name << ": " << e.what() << "\n";
    return 1;
  }
}
