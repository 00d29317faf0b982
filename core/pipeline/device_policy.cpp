#include "core/pipeline/device_policy.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "core/error.h"
#include "core/io/process_usage.h"
#include "core/sampling/names.h"

namespace atelier {

DeviceChoice parse_device_choice(std::string_view name) {
  for (auto choice : {DeviceChoice::Auto, DeviceChoice::Cpu, DeviceChoice::Cuda, DeviceChoice::Mps})
    if (same_name(name, to_string(choice))) return choice;
  throw InvalidArgument("unknown device '" + std::string(name) + "'; choose auto, cpu, cuda or mps");
}

std::string_view to_string(DeviceChoice choice) {
  switch (choice) {
    case DeviceChoice::Auto: return "auto";
    case DeviceChoice::Cpu: return "cpu";
    case DeviceChoice::Cuda: return "cuda";
    case DeviceChoice::Mps: return "mps";
  }
  return "auto";
}

std::string ExecutionTarget::description() const {
  std::string text = device.str() + " " + std::string(c10::toString(dtype));
  if (vae_dtype != dtype) text += " (VAE " + std::string(c10::toString(vae_dtype)) + ")";
  return text;
}

Precision parse_precision(std::string_view name) {
  for (auto precision : {Precision::Auto, Precision::Full, Precision::Half})
    if (same_name(name, to_string(precision))) return precision;
  throw InvalidArgument("unknown precision '" + std::string(name) + "'; choose auto, full or half");
}

std::string_view to_string(Precision precision) {
  switch (precision) {
    case Precision::Auto: return "auto";
    case Precision::Full: return "full";
    case Precision::Half: return "half";
  }
  return "auto";
}

ExecutionTarget resolve_target(DeviceChoice choice, Precision precision) {
  const bool cuda = at::hasCUDA();
  const bool mps = at::hasMPS();
  if (choice == DeviceChoice::Auto) choice = cuda ? DeviceChoice::Cuda : mps ? DeviceChoice::Mps : DeviceChoice::Cpu;
  if (choice == DeviceChoice::Cuda && !cuda)
    throw InvalidArgument("CUDA is not available in this build or on this machine");
  if (choice == DeviceChoice::Mps && !mps)
    throw InvalidArgument("Metal (MPS) is not available in this build or on this machine");
  const c10::Device device = choice == DeviceChoice::Cuda ? c10::Device(c10::kCUDA, 0)
                             : choice == DeviceChoice::Mps ? c10::Device(c10::kMPS)
                                                           : c10::Device(c10::kCPU);
  if (precision == Precision::Auto) precision = device.is_cpu() ? Precision::Full : Precision::Half;
  if (precision == Precision::Half && device.is_cpu())
    throw InvalidArgument("half precision needs CUDA or MPS; the CPU computes in full precision (fp32)");
  // cuDNN's convolutions may otherwise run fp32 in TF32, off by about 1e-3 of each value. The
  // switch is process-wide: a later half-precision pipeline's fp32 VAE then runs without TF32 too.
  if (device.is_cuda() && precision == Precision::Full) at::globalContext().setAllowTF32CuDNN(false);
  return {device, precision == Precision::Half ? c10::kHalf : c10::kFloat, c10::kFloat};
}

namespace {

// GLIBC_TUNABLES with huge pages for malloc added, or nothing when it must stay as it is.
std::optional<std::string> tunables_with_huge_pages() {
  if (const char* opt_out = std::getenv("ATELIER_HUGE_PAGES"); opt_out && std::string_view(opt_out) == "0") return {};
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string setting = std::string(kMallocHugePagesTunable) + "=1";
  if (!current || !*current) return setting;
  if (std::string_view(current).find(kMallocHugePagesTunable) != std::string_view::npos) return {};
  return std::string(current) + ":" + setting;
}

}  // namespace

void relaunch_with_runtime_settings(char* argv[]) {
#ifdef __linux__
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"}}) {
    if (std::getenv(name)) continue;
    ::setenv(name, value, 1);
    changed = true;
  }
  if (auto tunables = tunables_with_huge_pages()) {
    ::setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
    changed = true;
  }
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure: then run on, just slower
#else
  (void)argv;
#endif
}

void configure_threads(int requested) {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(requested > 0 ? requested : std::max(hardware, 1));
}

}  // namespace atelier
