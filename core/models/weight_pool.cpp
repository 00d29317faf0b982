#include "core/models/weight_pool.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace atelier {
namespace {

// The pool's own reference is the only one left: whoever read weights into it has let them go.
bool free_block(const at::Tensor& block) { return block.storage().use_count() == 1; }

}  // namespace

at::Tensor WeightPool::take(at::IntArrayRef sizes, const at::TensorOptions& options) {
  const int64_t count = c10::multiply_integers(sizes);
  const Key key{options.device().type(), c10::typeMetaToScalarType(options.dtype()), count};
  auto [first, last] = blocks_.equal_range(key);
  for (auto block = first; block != last; ++block)
    if (free_block(block->second)) return block->second.view(sizes);
  return blocks_.emplace(key, at::empty({count}, options))->second.view(sizes);
}

void WeightPool::let_go_of_free_blocks() {
  if (std::erase_if(blocks_, [](const auto& entry) { return free_block(entry.second); }) == 0) return;
  // Most blocks are under glibc's mmap threshold (which grows to 32 MB), so their pages stay in
  // malloc's heaps until trimmed. Nothing freed, nothing to trim: the trim walks every heap.
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

int64_t WeightPool::bytes_held() const {
  int64_t bytes = 0;
  for (const auto& [key, block] : blocks_) bytes += block.nbytes();
  return bytes;
}

}  // namespace atelier
