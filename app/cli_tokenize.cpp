#include <iostream>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/models/checkpoint.h"
#include "core/text/prompt_chunks.h"

namespace atelier::cli {
namespace {

void print_ids(const auto& ids) {
  const char* separator = "";
  for (int id : ids) {
    std::cout << separator << id;
    separator = " ";
  }
  std::cout << "\n";
}

}  // namespace

// Prints what the text encoder receives: A1111 prompt syntax and 75-token chunks by default,
// or with --raw plain CLIP tokenization framed and truncated to 77 as Hugging Face does.
int run_tokenize(CommandLine& args) {
  const bool raw = args.flag("raw");
  if (auto model = args.value("model")) require_supported(inspect_checkpoint(std::filesystem::path(*model)));
  args.reject_unknown();
  const auto texts = args.positionals();
  if (texts.size() != 1) throw InvalidArgument("expected one TEXT argument (quote the prompt)");

  const auto& tokenizer = ClipTokenizer::bundled();
  if (raw) {
    print_ids(ClipTokenizer::frame(tokenizer.encode(texts[0])));
    return 0;
  }
  for (const auto& chunk : tokenize_prompt(tokenizer, texts[0]).chunks) print_ids(chunk.tokens);
  return 0;
}

}  // namespace atelier::cli
