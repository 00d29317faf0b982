// atelier-cli: Atelier without a window.
#include <c10/util/Exception.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/pipeline/device_policy.h"

namespace {

constexpr int kUsageError = 2;
constexpr int kInterrupted = 130;  // 128 + SIGINT, as shells report it

const char* const kUsage =
    "usage: atelier-cli COMMAND [options]\n"
    "commands:\n"
    "  tokenize [--raw] [--model PATH] TEXT   print the CLIP token ids, one 77-id chunk per line\n"
    "  inspect MODEL                          print what a checkpoint (file or diffusers folder) is and its sizes\n"
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
    "      --refiner PATH --refiner-switch F (SDXL refiner from F of the steps; 0 < F <= 1, default 0.8)\n"
    "      --vae auto|none|FILE|DIR|NAME (default auto: MODEL.vae.pt/.ckpt/.safetensors beside the model;\n"
    "            NAME: a VAE file name beside the model or in the library's VAE folders)\n"
    "      --device auto|cpu|cuda|mps --threads N --vae-tiling auto|on|off --low-memory\n"
    "      --library DIR (repeatable) where a model NAME or HASH is looked up\n"
    "      --lora-dir DIR --embeddings-dir DIR (repeatable) more folders for <lora:NAME:w> and embeddings\n"
    "  make-test-model --family sd15 --out PATH [--dtype f16|f32] [--seed N]\n"
    "                                         write a checkpoint of the real layout with random weights\n"
    "  bench --model PATH [--width W --height H --steps N --repeats N --threads T --device D] [--low-memory] [--json]\n"
    "                                         time load, text encoding, UNet steps and VAE decode\n"
    "  info IMAGE.png [--json]                print an image's generation parameters and which tool wrote them\n"
    "  gallery scan|list [DIR] | gallery search TEXT [DIR] [options]\n"
    "                                         index a folder of PNGs (default: the output folder) and query it\n"
    "      --model M --sampler S --favourites --page N --limit N --sort newest|oldest|name|largest\n"
    "  convert-ckpt FILE.ckpt [--out FILE.safetensors]\n"
    "                                         write a PyTorch checkpoint's state dict as safetensors (nothing in it runs)\n"
    "  models list [--library DIR]... [--kind KIND] [--json] [--no-hash]\n"
    "                                         the checkpoints, LoRAs, embeddings, VAEs and upscalers of the\n"
    "                                         model library (default: Atelier's folder and the studio's roots)\n"
    "  upscale IMAGE --upscaler NAME|FILE --scale X --output FILE.png [--tile N] [--tile-overlap N] [--library DIR]\n"
    "                                         enlarge an image as A1111's extras tab: Lanczos, Nearest or an ESRGAN,\n"
    "                                         Real-ESRGAN or compact model (.pth, .safetensors; a file or a name in the\n"
    "                                         library's upscaler folders); X (default 4) other than the model's own is\n"
    "                                         reached with Lanczos, the size rounded down to a multiple of 8; tiles of\n"
    "                                         192 px overlapping by 8 (0: no tiling); keeps the image's parameters\n"
    "  serve [--host 127.0.0.1] [--port 7860] [--api-auth USER:PASSWORD] [--model NAME|PATH]\n"
    "        [--library DIR]... [--output-dir DIR] [--device D] [--low-memory]\n"
    "                                         AUTOMATIC1111's HTTP API (/sdapi/v1) for the tools built on it;\n"
    "                                         a --host off loopback needs --api-auth; save_images writes to\n"
    "                                         --output-dir (default: the studio's output folder)\n";

struct Command {
  std::set<std::string> flags;
  std::function<int(atelier::cli::CommandLine&)> run;
};

}  // namespace

int main(int argc, char** argv) {
  atelier::relaunch_with_idle_thread_pools(argv);
  using namespace atelier::cli;
  const std::map<std::string, Command> commands{
      {"tokenize", {{"raw"}, run_tokenize}},
      {"inspect", {{}, run_inspect}},
      {"generate", {{"quantize", "no-quantize", "low-memory", "invert-mask"}, run_generate}},
      {"make-test-model", {{}, run_make_test_model}},
      {"bench", {{"json", "low-memory"}, run_bench}},
      {"info", {{"json"}, run_info}},
      {"gallery", {{"favourites"}, run_gallery}},
      {"convert-ckpt", {{}, run_convert_ckpt}},
      {"models", {{"json", "no-hash"}, run_models}},
      {"upscale", {{}, run_upscale}},
      {"serve", {{"low-memory"}, run_serve}},
  };
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    (argc < 2 ? std::cerr : std::cout) << kUsage;
    return argc < 2 ? kUsageError : 0;
  }
  auto command = commands.find(argv[1]);
  if (command == commands.end()) {
    std::cerr << "atelier-cli: unknown command '" << argv[1] << "'\n" << kUsage;
    return kUsageError;
  }
  try {
    CommandLine args(std::vector<std::string>(argv + 2, argv + argc), command->second.flags);
    return command->second.run(args);
  } catch (const atelier::Cancelled&) {
    std::cerr << "atelier-cli " << command->first << ": cancelled, nothing written\n";
    return kInterrupted;
  } catch (const atelier::Error& e) {
    std::cerr << "atelier-cli " << command->first << ": " << e.what() << "\n";
    return kUsageError;
  } catch (const c10::Error& e) {
    std::cerr << "atelier-cli " << command->first << ": " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "atelier-cli " << command->first << ": " << e.what() << "\n";
    return 1;
  }
}
