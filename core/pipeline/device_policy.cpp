#include "core/pipeline/device_policy.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <utility>

#include "core/error.h"
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

ExecutionTarget resolve_target(DeviceChoice choice) {
  const bool cuda = at::hasCUDA();
  const bool mps = at::hasMPS();
  if (choice == DeviceChoice::Auto) choice = cuda ? DeviceChoice::Cuda : mps ? DeviceChoice::Mps : DeviceChoice::Cpu;
  switch (choice) {
    case DeviceChoice::Cuda:
      if (!cuda) throw InvalidArgument("CUDA is not available in this build or on this machine");
      return {c10::Device(c10::kCUDA, 0), c10::kHalf, c10::kFloat};
    case DeviceChoice::Mps:
      if (!mps) throw InvalidArgument("Metal (MPS) is not available in this build or on this machine");
      return {c10::Device(c10::kMPS), c10::kHalf, c10::kFloat};
    default:
      return {c10::Device(c10::kCPU), c10::kFloat, c10::kFloat};
  }
}

void relaunch_with_idle_thread_pools(char* argv[]) {
#ifdef __linux__
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"}}) {
    if (std::getenv(name)) continue;
    ::setenv(name, value, 1);
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
