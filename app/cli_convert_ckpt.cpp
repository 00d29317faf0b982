#include <filesystem>
#include <iostream>
#include <map>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/torch_checkpoint.h"

namespace atelier::cli {

// Reads a PyTorch checkpoint through the restricted unpickler (nothing in it can run) and writes
// its state dict as safetensors, one tensor at a time, each in its own dtype.
int run_convert_ckpt(CommandLine& args) {
  const auto out_option = args.value("out");
  args.reject_unknown();
  const auto files = args.positionals();
  if (files.size() != 1)
    throw InvalidArgument("give one checkpoint: atelier-cli convert-ckpt FILE.ckpt [--out FILE.safetensors]");
  const std::filesystem::path in = files[0];
  const std::filesystem::path out = out_option ? std::filesystem::path(*out_option)
                                               : std::filesystem::path(in).replace_extension(".safetensors");
  if (std::filesystem::exists(out)) throw InvalidArgument(out.string() + " exists; choose another with --out");

  const auto tensors = read_torch_state_dict(in);
  std::map<std::string, at::Tensor> by_name(tensors.begin(), tensors.end());
  std::vector<TensorLayout> layouts;
  for (const auto& [name, tensor] : tensors) {
    try {
      layouts.push_back({name, to_dtype(tensor.scalar_type()), tensor.sizes().vec()});
    } catch (const Error& e) {
      throw UnsupportedModel(in.string() + ": tensor '" + name + "': " + e.what());
    }
  }
  write_safetensors_streamed(out, layouts, [&](const TensorLayout& layout) { return by_name.at(layout.name); },
                             {{"format", "pt"}});
  std::cout << "wrote " << out.string() << ": " << tensors.size() << " tensors of " << in.string() << "\n";
  return 0;
}

}  // namespace atelier::cli
