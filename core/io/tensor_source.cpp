#include "core/io/tensor_source.h"

#include "core/error.h"
#include "core/io/safetensors.h"

namespace atelier {
namespace {

template <typename Index>
void index_names(const std::vector<TensorEntry>& entries, Index& index, const std::filesystem::path& path) {
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!index.emplace(entries[i].name, i).second)
      throw FormatError(path.string() + ": tensor " + entries[i].name + " appears twice");
}

// The type an in-memory tensor is kept as; nullopt for one no model reads.
std::optional<at::ScalarType> kept_type(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
    case at::kHalf:
    case at::kBFloat16:
    case at::kLong:
    case at::kInt:
    case at::kByte:
      return type;
    case at::kDouble:
      return at::kFloat;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string TensorSource::describe(std::string_view name) const {
  return path().string() + ": tensor " + std::string(name);
}

InMemoryTensors::InMemoryTensors(std::filesystem::path path, std::vector<std::pair<std::string, at::Tensor>> tensors)
    : path_(std::move(path)) {
  for (auto& [name, tensor] : tensors) {
    const auto type = kept_type(tensor.scalar_type());
    if (!type) continue;
    at::Tensor kept = tensor.to(*type);
    entries_.push_back({name, to_dtype(*type), kept.sizes().vec()});
    tensors_.push_back(std::move(kept));
  }
  index_names(entries_, index_, path_);
}

const TensorEntry* InMemoryTensors::find(std::string_view name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &entries_[found->second];
}

at::Tensor InMemoryTensors::tensor(std::string_view name) const {
  const auto found = index_.find(name);
  if (found == index_.end()) throw FormatError(describe(name) + " is missing");
  return tensors_[found->second];
}

RenamedTensors::RenamedTensors(std::filesystem::path path, std::vector<Entry> entries)
    : path_(std::move(path)), renamed_(std::move(entries)) {
  entries_.reserve(renamed_.size());
  for (const auto& entry : renamed_) entries_.push_back(entry.entry);
  index_names(entries_, index_, path_);
}

const RenamedTensors::Entry* RenamedTensors::find_entry(std::string_view name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &renamed_[found->second];
}

const TensorEntry* RenamedTensors::find(std::string_view name) const {
  const Entry* entry = find_entry(name);
  return entry ? &entry->entry : nullptr;
}

at::Tensor RenamedTensors::tensor(std::string_view name) const {
  const Entry* entry = find_entry(name);
  if (!entry) throw FormatError(describe(name) + " is missing");
  std::vector<at::Tensor> parts;
  for (const Part& part : entry->parts) parts.push_back(part.source->tensor(part.name));
  if (entry->combine) return entry->combine(parts);
  return parts.front().view(entry->entry.shape);
}

void RenamedTensors::release(std::string_view name) const {
  if (const Entry* entry = find_entry(name))
    for (const Part& part : entry->parts) part.source->release(part.name);
}

std::string RenamedTensors::describe(std::string_view name) const {
  const Entry* entry = find_entry(name);
  if (!entry || entry->parts.empty()) return TensorSource::describe(name);
  std::string stored;
  for (const Part& part : entry->parts) stored += (stored.empty() ? "" : " + ") + part.source->describe(part.name);
  return stored + " (" + std::string(name) + ")";
}

}  // namespace atelier
