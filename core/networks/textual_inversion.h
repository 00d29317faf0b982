#pragma once
// Textual-inversion embeddings as A1111 reads them (textual_inversion.py
// create_embedding_from_data): the word is the file name without extension, the vectors the
// file's one tensor (`string_to_param` of a .pt, the single tensor of a .safetensors) or, for
// SDXL, its `clip_l` and `clip_g` tensors.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>

namespace atelier {

struct TextualInversion {
  std::string name;  // the prompt's word
  std::filesystem::path path;
  // F32 [count, width]: "" for a one-encoder embedding, "clip_l" / "clip_g" for SDXL's two.
  std::map<std::string, at::Tensor> vectors;
  int count = 0;           // vectors (tokens) it stands for
  std::string short_hash;  // AutoV2 (sha256[0:10]), as A1111's "TI hashes" records it
};

// Throws FormatError naming the file when it holds no embedding A1111 would read.
TextualInversion read_textual_inversion(const std::filesystem::path& path);

}  // namespace atelier
