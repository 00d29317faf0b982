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

// Full: every network in fp32 (A1111's --precision full --no-half), on CUDA without TF32, so a
// GPU computes what the CPU does to float tolerance. Half: the text encoders and the UNet in fp16,
// the VAE in fp32 (fp16 overflows in the SD VAE decoder). Auto: half on GPUs, full on the CPU.
enum class Precision { Auto, Full, Half };

Precision parse_precision(std::string_view name);  // "auto", "full", "half"; InvalidArgument otherwise
std::string_view to_string(Precision precision);

struct ExecutionTarget {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::kFloat;      // text encoder and UNet
  c10::ScalarType vae_dtype = c10::kFloat;  // fp16 overflows in the SD VAE decoder
  std::string description() const;          // "cpu float32", "cuda:0 float16 (VAE float32)"
};

// Auto picks CUDA, then MPS, then the CPU, in the precision asked for (see Precision).
// Throws InvalidArgument when an explicit choice is not available in this build or machine, and
// for half precision on the CPU (LibTorch's CPU kernels are fp32).
ExecutionTarget resolve_target(DeviceChoice choice, Precision precision = Precision::Auto);

// Settings that the C and BLAS runtimes read only when they load, before main, so for each one
// the user has not set this sets it and re-executes the program with the same arguments; it
// returns when nothing had to change. Call it first thing in main. Linux only (elsewhere it does
// nothing).
//  - LibTorch's OpenMP runtime (libgomp, running oneDNN's convolutions) and OpenBLAS (running the
//    matmuls) each keep their own worker threads, which by default spin while idle and steal the
//    cores the other pool needs. Measured on 2 cores: OMP_WAIT_POLICY=PASSIVE made text encoding
//    3.5× and a UNet step 1.3× faster; OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS workers sleep after
//    2⁴ cycles instead of 2²⁸) took a 256² UNet step from 2.9–3.4 s to 2.68 s.
//  - Huge pages: where transparent huge pages are `madvise`-only (as on many distributions), every
//    weight and activation buffer is faulted in 4 KB pages. glibc.malloc.hugetlb=1 has malloc
//    advise huge pages on what it maps (glibc 2.35+; older ones ignore it). ATELIER_HUGE_PAGES=0
//    leaves it out, and a GLIBC_TUNABLES that already names glibc.malloc.hugetlb is kept.
void relaunch_with_runtime_settings(char* argv[]);

// LibTorch starts with one intra-op thread here: use every hardware thread unless the user
// asked for a number (> 0).
void configure_threads(int requested = 0);

}  // namespace atelier
