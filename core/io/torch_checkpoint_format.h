#pragma once
// The layout of PyTorch checkpoints, without LibTorch: where the pickle and each storage's bytes
// are, in the zip format (torch >= 1.6) and the legacy format, every pickle restricted and every
// size checked. core/io/torch_checkpoint.h makes tensors of it; tests fuzz it under ASan.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/io/pickle.h"

namespace atelier {

struct StorageBytes {
  StorageType type = StorageType::Float;
  std::uint64_t numel = 0;
  std::span<const std::uint8_t> bytes;  // exactly numel * element size bytes
  // Set when the bytes were inflated (a compressed ZIP entry): they live here, not in the file.
  std::shared_ptr<const std::vector<std::uint8_t>> inflated;
};

struct CheckpointLayout {
  RawPickleValue object;                        // the checkpoint's top-level value
  std::map<std::string, StorageBytes> storages;  // every storage its tensors view, by key
};

// Whether `file` starts like a checkpoint: a ZIP archive, or the legacy format's magic number.
bool looks_like_torch_checkpoint(std::span<const std::uint8_t> file);
// Whether `file` is a ZIP archive holding one <dir>/data.pkl, or starts with the legacy magic.
bool is_torch_checkpoint(std::span<const std::uint8_t> file);

// Parses the checkpoint held in `file` (which must outlive the result: stored bytes are viewed
// in place). Throws FormatError whose message starts with `label` (and names the ZIP entry or
// the storage) for a refused pickle, a missing or mis-sized storage, truncation or corruption.
CheckpointLayout parse_torch_checkpoint(std::span<const std::uint8_t> file, const std::string& label);

}  // namespace atelier
