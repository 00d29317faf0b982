#pragma once
// The subcommands of atelier-cli. Each reads its options and returns the process exit code;
// errors are thrown as atelier::Error and reported by main.
#include "app/command_line.h"

namespace atelier::cli {

int run_tokenize(CommandLine& args);
int run_inspect(CommandLine& args);
int run_generate(CommandLine& args);
int run_make_test_model(CommandLine& args);
int run_bench(CommandLine& args);
int run_info(CommandLine& args);
int run_gallery(CommandLine& args);
int run_convert_ckpt(CommandLine& args);
int run_models(CommandLine& args);
int run_upscale(CommandLine& args);
int run_serve(CommandLine& args);

}  // namespace atelier::cli
