#include <iostream>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/models/random_checkpoint.h"

namespace atelier::cli {

// Writes a checkpoint with a released family's architecture (--family sd15, sd21v, sdxl,
// sdxl-refiner) and seeded random weights, for benchmarks.
int run_make_test_model(CommandLine& args) {
  const auto family = args.value_or("family", "sd15");
  const auto out = args.value("out");
  const auto dtype_name = args.value_or("dtype", "f16");
  const int seed = args.int_value_or("seed", 0);
  args.reject_unknown();
  if (!args.positionals().empty()) throw InvalidArgument("unexpected argument '" + args.positionals()[0] + "'");
  if (!out) throw InvalidArgument("--out PATH is required");
  if (dtype_name != "f16" && dtype_name != "f32") throw InvalidArgument("--dtype must be f16 or f32");
  if (seed < 0) throw InvalidArgument("--seed must not be negative");

  write_random_checkpoint(*out, released_architecture(family), dtype_name == "f16" ? c10::kHalf : c10::kFloat,
                          static_cast<std::uint64_t>(seed));
  std::cout << *out << "\n";
  return 0;
}

}  // namespace atelier::cli
