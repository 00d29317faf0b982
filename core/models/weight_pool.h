#pragma once
// Memory for streamed weights (low-memory mode), kept from one use to the next: a part's
// converted weights go back to the pool when it has run, and the next part with tensors of the
// same shapes reads its weights into them. Freed to malloc instead, they would either stay in
// its heaps, fragmented (resident memory growing to the largest set of parts the heaps ever
// held), or be trimmed and faulted in again at every part of every step.
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <tuple>

namespace atelier {

class WeightPool {
 public:
  // A contiguous, uninitialised tensor of `sizes` and `options`: a block of the same dtype,
  // device and element count that nothing but the pool holds any more, or a new one.
  at::Tensor take(at::IntArrayRef sizes, const at::TensorOptions& options);

  // Frees the blocks nothing else holds and gives the heaps' free pages back to the system:
  // before a stage that needs the memory more (the VAE decode) and after one whose weights
  // are not needed again soon (the text encoders).
  void let_go_of_free_blocks();

  int64_t bytes_held() const;  // by every block, in use or free

 private:
  using Key = std::tuple<c10::DeviceType, c10::ScalarType, int64_t>;  // and the element count
  std::multimap<Key, at::Tensor> blocks_;                              // flat
};

}  // namespace atelier
