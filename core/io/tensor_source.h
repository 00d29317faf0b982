#pragma once
// Where a model's tensors come from, whatever form the model was brought in: a safetensors file
// (memory-mapped), tensors read into memory (a pickle checkpoint), or a renaming view over
// several sources (a diffusers folder seen under single-file names). Loaders and inspection
// take a TensorSource, never a file format.
#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/safetensors_format.h"

namespace atelier {

class TensorSource {
 public:
  virtual ~TensorSource() = default;

  // The file or folder the tensors come from.
  virtual const std::filesystem::path& path() const = 0;
  // Every tensor's name, dtype and shape (byte offsets only mean something in a safetensors file).
  virtual const std::vector<TensorEntry>& entries() const = 0;
  virtual const TensorEntry* find(std::string_view name) const = 0;  // nullptr when absent
  bool contains(std::string_view name) const { return find(name) != nullptr; }

  // The tensor on the CPU, possibly viewing read-only memory: never write into it. Throws
  // FormatError naming where it was looked for when absent.
  virtual at::Tensor tensor(std::string_view name) const = 0;
  // The tensor converted to `type` (a view when it already has that type, else a copy).
  at::Tensor tensor(std::string_view name, at::ScalarType type) const { return tensor(name).to(type); }

  // Tells the source that tensor `name` has been copied out, so the memory behind it may go
  // (a mapping's pages). Tensors still viewing it stay valid; the tensor can be read again.
  virtual void release(std::string_view name) const { (void)name; }

  // Where tensor `name` is or would be stored, for messages: "FILE: tensor NAME".
  virtual std::string describe(std::string_view name) const;
};

// Tensors held in memory (a pickle checkpoint once read), in the order given. Types a
// safetensors entry cannot name are converted where a model could use them (F64 -> F32) and
// left out otherwise (bool or 8/16-bit integer buffers are never network weights).
class InMemoryTensors : public TensorSource {
 public:
  InMemoryTensors(std::filesystem::path path, std::vector<std::pair<std::string, at::Tensor>> tensors);

  const std::filesystem::path& path() const override { return path_; }
  const std::vector<TensorEntry>& entries() const override { return entries_; }
  const TensorEntry* find(std::string_view name) const override;
  using TensorSource::tensor;
  at::Tensor tensor(std::string_view name) const override;

 private:
  std::filesystem::path path_;
  std::vector<TensorEntry> entries_;
  std::vector<at::Tensor> tensors_;  // beside entries_
  std::map<std::string, std::size_t, std::less<>> index_;
};

// Tensors of other sources under new names: each entry is made from one or more tensors of its
// sources, by `combine` (a reshape, a concatenation, ...) or, without it, viewed as the entry's
// shape. Messages name the source file and the tensor as stored there.
class RenamedTensors : public TensorSource {
 public:
  struct Part {
    std::shared_ptr<const TensorSource> source;
    std::string name;  // as stored in `source`
  };
  struct Entry {
    TensorEntry entry;  // the new name, its dtype and shape
    std::vector<Part> parts;
    std::function<at::Tensor(const std::vector<at::Tensor>&)> combine;  // null: view parts[0] as entry.shape
  };

  RenamedTensors(std::filesystem::path path, std::vector<Entry> entries);

  const std::filesystem::path& path() const override { return path_; }
  const std::vector<TensorEntry>& entries() const override { return entries_; }
  const TensorEntry* find(std::string_view name) const override;
  using TensorSource::tensor;
  at::Tensor tensor(std::string_view name) const override;
  void release(std::string_view name) const override;
  std::string describe(std::string_view name) const override;

 private:
  const Entry* find_entry(std::string_view name) const;

  std::filesystem::path path_;
  std::vector<Entry> renamed_;
  std::vector<TensorEntry> entries_;  // renamed_'s entries, for entries()
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace atelier
