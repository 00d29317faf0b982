#pragma once
// PyTorch checkpoints (.ckpt, .pt, .pth, .bin as torch.save writes them) read without running
// any of their code: the zip format (torch >= 1.6) and the legacy format, both through the
// restricted unpickler of core/io/pickle.h. Tensors come back as CPU at::Tensor.
#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/pickle.h"

namespace atelier {

// The checkpoint's object with its tensors materialised. Walk it with find(), items(),
// elements(), tensor(); e.g. a textual-inversion .pt: find("string_to_param")->items()[0].second.tensor().
using PickleValue = BasicPickleValue<at::Tensor>;

// Whether the file's content is a torch checkpoint: a ZIP archive holding a <dir>/data.pkl, or
// the legacy format's magic number. Reads only its start and directory; false when unreadable.
bool is_torch_pickle_file(const std::filesystem::path& path);

// Reads the whole checkpoint. Every storage's size is checked against the pickle's element
// count, every tensor view against its storage. Tensors of little-endian CPU storages view the
// file's memory mapping where aligned (never write to them in place: the pages are read-only),
// otherwise they are copied; requires_grad is dropped. Throws FormatError naming the file (and
// the ZIP entry or storage) for anything refused or corrupt; nothing partial is returned.
PickleValue read_torch_pickle(const std::filesystem::path& path);

// The (name, tensor) pairs of a checkpoint's state dict, in file order: the top-level dict's
// 'state_dict' entry when it has one that is a dict (Lightning checkpoints, A1111's .ckpt
// models and VAEs), else its 'params_ema', else its 'params' (BasicSR's saves: Real-ESRGAN's
// upscalers; the EMA weights are the ones Real-ESRGAN's inference loads), else the top-level
// dict itself. Entries that are not a string name with a
// tensor (nested dicts, numbers: '_metadata', a nested 'state_dict') are skipped. Tensors keep
// their own dtype (position_ids stays I64, model_ema.num_updates I32). `label` names the file
// in errors: FormatError when there is no dict of tensors at all.
std::vector<std::pair<std::string, at::Tensor>> torch_state_dict(const PickleValue& checkpoint, std::string_view label);
std::vector<std::pair<std::string, at::Tensor>> read_torch_state_dict(const std::filesystem::path& path);

}  // namespace atelier
