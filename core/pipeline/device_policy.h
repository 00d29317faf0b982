#pragma once
// The single place that decides where and in what precision the networks run.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>
#include <string_view>

namespace atelier {

enum class DeviceChoice { Auto, Cpu, Cuda, Mps };

DeviceChoice parse_device_choice(std::string_view name);  // "auto", "cpu", "cuda", "mps"; InvalidArgument otherwise
std::string_view to_string(DeviceChoice choice);

struct ExecutionTarget {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::kFloat;      // text encoder and UNet
  c10::ScalarType vae_dtype = c10::kFloat;  // fp16 overflows in the SD VAE decoder
  std::string description() const;          // "cpu float32", "cuda:0 float16 (VAE float32)"
};

// Auto picks CUDA, then MPS, then the CPU. GPUs run fp16 with the VAE in fp32; the CPU runs fp32.
// Throws InvalidArgument when an explicit choice is not available in this build or machine.
ExecutionTarget resolve_target(DeviceChoice choice);

// LibTorch's OpenMP runtime (libgomp, running oneDNN's convolutions) and OpenBLAS (running the
// matmuls) each keep their own worker threads, which by default spin while idle and steal the
// cores the other pool needs. Measured on 2 cores: OMP_WAIT_POLICY=PASSIVE made text encoding
// 3.5× and a UNet step 1.3× faster; OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS workers sleep after
// 2⁴ cycles instead of 2²⁸) took a 256² UNet step from 2.9–3.4 s to 2.68 s. Both libraries read
// these only when they load, before main, so for each one the user has not set this sets it
// and re-executes the program with the same arguments; it returns when nothing had to change.
// Call it first thing in main. Linux only (elsewhere it does nothing).
void relaunch_with_idle_thread_pools(char* argv[]);

// LibTorch starts with one intra-op thread here: use every hardware thread unless the user
// asked for a number (> 0).
void configure_threads(int requested = 0);

}  // namespace atelier
