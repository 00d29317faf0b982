#!/usr/bin/env bash
# gpu-check.sh [--dry-run]: builds Atelier's engine, CLI and core tests against the LibTorch of
# this machine's python3 and the Debian libraries that packaging/gpu-bundle.sh gathered, then
# checks it on CUDA. Figures and logs go to $OUT (default gpu-check-out/).
#
#   --dry-run   the same steps on the CPU, on a Debian machine, against Debian's LibTorch, with
#               small sizes: it proves the bundle is complete (every header and library the build
#               uses comes from the bundle, LibTorch or the toolchain) and the script itself runs.
#
# Environment: GPU_BUNDLE (default gpu-bundle), PYTHON (default python3: the one holding
# PyTorch), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true
bundle=$(cd "${GPU_BUNDLE:-gpu-bundle}" && pwd)
out=${OUT:-$repo/gpu-check-out}
python=${PYTHON:-python3}
$dry_run && python=${PYTHON:-/usr/bin/python3}  # Debian's python3-torch, beside its LibTorch
build=$repo/build-gpu
prefix=${GPU_PREFIX:-/tmp/atelier-gpu-prefix}
jobs=$(nproc)
mkdir -p "$out"
summary=$out/summary.txt
: > "$summary"

say() { echo "gpu-check: $*" | tee -a "$summary"; }
die() { say "FAILED: $*"; exit 1; }
# Runs a step with its output in $out/NAME.log; says how long it took.
step() {
  local name=$1; shift
  local start=$SECONDS
  if "$@" > "$out/$name.log" 2>&1; then
    say "$name: ok in $((SECONDS - start)) s"
  else
    tail -40 "$out/$name.log"
    die "$name (exit $?; $out/$name.log)"
  fi
}

# 1. The Debian libraries, unpacked into a prefix (gpu-bundle.sh packed them there).
unpack_bundle() {
  rm -rf "$prefix" && mkdir -p "$prefix"
  # Python's lzma stands in where the machine has no xz for tar.
  tar -C "$prefix" -xJf "$bundle/prefix.tar.xz" 2> /dev/null ||
    "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle/prefix.tar.xz" "$prefix"
  # Only OpenCV's core and imgproc travel, so Debian's OpenCVConfig (which wants every module)
  # is replaced by one naming those two.
  mkdir -p "$prefix/opencv-cmake"
  sed "s|@PREFIX@|$prefix|g" "$repo/packaging/gpu/OpenCVConfig.cmake.in" > "$prefix/opencv-cmake/OpenCVConfig.cmake"
}
step unpack unpack_bundle
libdir=$prefix/usr/lib/x86_64-linux-gnu
# BLAS and LAPACK sit in the folders Debian's update-alternatives would link from; the linker
# follows LD_LIBRARY_PATH too when it looks for the libraries' own dependencies.
runtime_path=$libdir:$libdir/blas:$libdir/lapack
export LD_LIBRARY_PATH=$runtime_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# 2. LibTorch: the python3's own (a GPU build), or Debian's in a dry run.
torch_facts=$("$python" -c 'import torch; print(torch.__version__, torch.compiled_with_cxx11_abi(), torch.utils.cmake_prefix_path, torch.cuda.is_available())')
read -r torch_version torch_cxx11 torch_prefix torch_cuda <<< "$torch_facts"
say "LibTorch $torch_version (C++11 ABI $torch_cxx11, CUDA available $torch_cuda) from $torch_prefix"
# Debian builds its C++ libraries (yaml-cpp, ICU, OpenCV) with the C++11 ABI of std::string.
[ "$torch_cxx11" = "True" ] || die "this LibTorch uses the old C++ ABI; the Debian libraries need torch.compiled_with_cxx11_abi() == True"
[ -f "$torch_prefix/Torch/TorchConfig.cmake" ] || torch_prefix=""  # Debian's python3-torch: CMake finds its own
$dry_run || [ "$torch_cuda" = "True" ] || die "torch.cuda.is_available() is False on this machine"

# 3. Configure and build: no Qt, no HTTP server; the fixtures from the bundle.
configure() {
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DATELIER_BUILD_STUDIO=OFF -DATELIER_BUILD_SERVER=OFF \
    -DCMAKE_PREFIX_PATH="${torch_prefix:+$torch_prefix;}$prefix/usr;$libdir/cmake" \
    -DCMAKE_INCLUDE_PATH="$prefix/usr/include" -DCMAKE_LIBRARY_PATH="$libdir" \
    -DCMAKE_BUILD_RPATH="$runtime_path" -DOpenCV_DIR="$prefix/opencv-cmake" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DTORCH_CUDA_ARCH_LIST=9.0 \
    -DATELIER_FIXTURES_DIR="$bundle/fixtures"
}
step configure configure
# A dry run builds the CLI (all of the engine) and one test (Catch2 and the test support): enough
# to prove every dependency, at a fraction of the time.
build_targets=(all)
$dry_run && build_targets=(atelier-cli test_image_io)
step build cmake --build "$build" -j "$jobs" --target "${build_targets[@]}"

# 4. In a dry run: every header and library the build used comes from the bundle, LibTorch or
# the toolchain, as it must on a machine that has nothing else.
audit_dependencies() {
  local allowed=" libc6 libc6-dev linux-libc-dev libstdc++-12-dev libgcc-12-dev libgcc-s1 libstdc++6 libgomp1 "
  # Debian's LibTorch stands in for the GPU machine's: its package and what it pulls in.
  allowed+=" $(apt-cache depends --recurse --important libtorch-dev 2> /dev/null | grep -v '^[ <]' | tr '\n' ' ') "
  local files owned bad
  files=$({
    ninja -C "$build" -t deps | awk '$1 ~ /^\/usr\/include\// {print $1}'  # the headers each object read
    find "$build" -type f -perm -u+x \( -name atelier-cli -o -name 'test_*' \) -exec ldd {} + 2> /dev/null |
      awk '$3 ~ /^\// {print $3}'
  } | grep -v "^$prefix/" | sort -u)
  # dpkg -S answers "package[:arch][, ...]: path"; with /usr merged a package may know the file
  # under /lib or /usr/lib, so both are asked.
  owned=$(for f in $files; do echo "$f"; [[ $f == /usr/lib/* ]] && echo "${f#/usr}"; [[ $f == /lib/* ]] && echo "/usr$f"; done |
    xargs -r dpkg -S 2> /dev/null || true)
  bad=$(awk -F': ' -v allowed="$allowed" '
    NR == FNR { split($1, names, ", "); sub(/:.*/, "", names[1]); owner[$2] = names[1]; next }
    {
      other = $0; if (!sub(/^\/usr\/lib\//, "/lib/", other)) sub(/^\/lib\//, "/usr/lib/", other)
      pkg = ($0 in owner) ? owner[$0] : owner[other]
      if (pkg == "" || index(allowed, " " pkg " ") == 0) print $0 " (" (pkg == "" ? "no package" : pkg) ")"
    }
  ' <(printf '%s\n' "$owned") <(printf '%s\n' $files))
  echo "$(printf '%s\n' $files | wc -l) headers and libraries read from outside the bundle"
  [ -z "$bad" ] || { echo "not from the bundle, LibTorch or the toolchain:"; echo "$bad"; return 1; }
  echo "all of them from LibTorch or the toolchain"
}
$dry_run && step audit audit_dependencies

# 5. The core tests (on the CPU: they prove the build there); not the package test (no dpkg tools).
tests=(-LE package)
$dry_run && tests=(-R '^test_image_io$')
step tests ctest --test-dir "$build" -j "$jobs" "${tests[@]}" --output-on-failure

# 6. The whole-run parity tests (the fixtures' reference images and latents) on the device, in
# full precision (the CPU's tolerances must hold) and in half (their failures measure fp16's
# distance). Neither stops the script: the benchmark still runs.
parity() {  # PRECISION
  ATELIER_TEST_DEVICE=cuda ATELIER_TEST_PRECISION=$1 \
    ctest --test-dir "$build" -R '^(test_pipeline|test_families|test_addons)$' --output-on-failure
}
if ! $dry_run; then
  for precision in full half; do
    if parity "$precision" > "$out/parity-$precision.log" 2>&1; then
      say "parity on cuda, $precision precision: passed"
    else
      say "parity on cuda, $precision precision: FAILED, see parity-$precision.log: $(grep -c 'FAILED' "$out/parity-$precision.log") failures"
    fi
  done
fi

# 7. The same txt2img on the CPU and on the device (fp16, the VAE in fp32), compared.
cli=$build/app/atelier-cli
device=cuda
$dry_run && device=cpu
tiny=$repo/tests/data/sd1-tiny/model.safetensors
generate_on() {
  "$cli" generate --model "$tiny" --prompt "a lighthouse at dusk" --negative "blurry" --seed 7 --steps 6 \
    --sampler "DPM++ 2M" --width 64 --height 64 --device "$1" --output "$out/tiny-$2.png"
}
step generate-cpu generate_on cpu cpu
step generate-device generate_on "$device" device
step compare "$python" "$repo/packaging/gpu/compare_images.py" "$out/tiny-cpu.png" "$out/tiny-device.png"
say "$(tail -1 "$out/compare.log")"

# 8. The benchmark on random weights with the released architectures (the tiny model on the CPU
# in a dry run).
bench() {  # MODEL SIZE
  "$cli" bench --model "$1" --width "$2" --height "$2" --device "$device" --json | tee -a "$out/bench.jsonl"
}
bench_released() {  # FAMILY SIZE
  local model=$build/bench-$1.safetensors
  [ -f "$model" ] || "$cli" make-test-model --family "$1" --out "$model" --dtype f16 --seed 0
  bench "$model" "$2"
}
: > "$out/bench.jsonl"
if $dry_run; then
  step bench-tiny bench "$tiny" 64
else
  step bench-sd15 bench_released sd15 512
  step bench-sdxl bench_released sdxl 1024
fi
say "done: figures in $out/bench.jsonl, logs beside it"
