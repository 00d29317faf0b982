#include <iostream>
#include <sstream>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/models/checkpoint.h"

namespace atelier::cli {
namespace {

template <typename T>
std::string list_text(const std::vector<T>& values) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

void print_sizes(const CheckpointInfo& info) {
  const auto& u = info.unet;
  std::cout << "unet: in " << u.in_channels << ", out " << u.out_channels << ", model channels "
            << u.model_channels << ", channel mult " << list_text(u.channel_mult) << ", res blocks "
            << u.num_res_blocks << ", transformer depth " << list_text(u.transformer_depth) << ", middle "
            << u.middle_transformer_depth << ", context " << u.context_dim << ", "
            << (u.adm_in_channels > 0 ? "vector " + std::to_string(u.adm_in_channels) + ", " : "")
            << (u.num_head_channels > 0 ? "head channels " + std::to_string(u.num_head_channels)
                                        : "heads " + std::to_string(u.num_heads))
            << "\n";
  const auto& v = info.vae;
  std::cout << "vae: ch " << v.ch << ", ch mult " << list_text(v.ch_mult) << ", res blocks " << v.num_res_blocks
            << ", z channels " << v.z_channels << ", embed dim " << v.embed_dim << ", downsampling "
            << v.downsample_factor() << ", scale factor " << v.scale_factor << "\n";
  for (const auto& encoder : info.text_encoders) {
    const auto& c = encoder.config;
    std::cout << "text encoder " << encoder.prefix << ": "
              << (encoder.layout == TextEncoderInfo::Layout::OpenClip ? "OpenCLIP" : "CLIP") << ", hidden "
              << c.hidden_size << ", layers " << c.num_layers << ", heads " << c.num_heads << ", intermediate "
              << c.intermediate_size << ", positions " << c.max_positions << ", vocab " << c.vocab_size;
    if (c.projection_dim > 0) std::cout << ", projection " << c.projection_dim;
    std::cout << "\n";
  }
}

}  // namespace

int run_inspect(CommandLine& args) {
  args.reject_unknown();
  const auto paths = args.positionals();
  if (paths.size() != 1) throw InvalidArgument("expected one MODEL argument");

  const auto info = inspect_checkpoint(std::filesystem::path(paths[0]));
  std::cout << (std::filesystem::is_directory(info.path) ? "folder: " : "file: ") << info.path.string() << "\n"
            << "size: " << info.file_size << " bytes\n"
            << "tensors: " << info.tensor_count;
  for (const auto& [dtype, count] : info.dtype_counts) std::cout << ", " << dtype << " " << count;
  std::cout << "\nfamily: " << info.description() << "\n"
            << "sidecar yaml: " << (info.sidecar_yaml ? info.sidecar_yaml->string() : "none") << "\n";
  if (info.sizes_known) print_sizes(info);
  std::cout << "status: " << (info.supported() ? "supported" : "unsupported: " + info.unsupported_reason) << "\n";
  return 0;
}

}  // namespace atelier::cli
