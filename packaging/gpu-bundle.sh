#!/usr/bin/env bash
# gpu-bundle.sh [DIR]: gathers, on a Debian 12 machine where packaging/install-deps.sh has run,
# what packaging/gpu-check.sh needs on a GPU machine that has LibTorch, a compiler, CMake and
# Ninja but none of Debian's libraries. DIR (default gpu-bundle/, ignored by git) then holds
#   prefix.tar.xz  the Debian packages of the engine's non-torch dependencies, unpacked with
#                dpkg -x into one prefix: the -dev packages for headers and CMake files, and
#                every library they link, followed through the libraries' own DT_NEEDED
#                entries (the C and C++ runtimes excepted: the compiler there brings them).
#                Documentation and static archives are left out, and the prefix travels
#                packed: ICU's data alone is 31 MB unpacked.
#   PACKAGES     the .deb files it was made of.
#   fixtures/    the fixture files named in GPU_BUNDLE_FIXTURES (paths under ATELIER_FIXTURES_DIR),
#                as many as the travel limit allows.
#   MANIFEST     each file with its size.
# What travels to the GPU machine (the repository's tracked files and DIR) must stay under
# 64 MiB: the script fails, naming the sizes, when it would not.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-gpu-bundle}
fixtures_dir=${ATELIER_FIXTURES_DIR:-../shared/fixtures}
# The fixture files the checks read, most wanted first; each one must fit the limit.
# None by default: the family tests want sd2-tiny, sdxl-tiny and inpaint-tiny together (55 MB),
# more than can travel beside the repository (35 MB) and the prefix; the GPU checks run on
# sd1-tiny, which travels in tests/data.
fixtures=(${GPU_BUNDLE_FIXTURES:-})
travel_limit=$((64 * 1024 * 1024))

# Headers, CMake configurations and link-time .so names of what the engine, the CLI and the
# core tests build against (OpenCV: only the two modules core uses).
dev_packages=(libopencv-core-dev libopencv-imgproc-dev libyaml-cpp-dev libsqlite3-dev libicu-dev
  nlohmann-json3-dev libstb-dev zlib1g-dev catch2 libcurl4-openssl-dev)
# Present wherever a C++ compiler is: never bundled.
toolchain_packages=" libc6 libgcc-s1 libstdc++6 gcc-12-base "
# Sonames that Debian provides through update-alternatives (here OpenBLAS, 40 MB): the reference
# libraries stand in, a fraction of the size; OpenCV only needs them to load.
declare -A alternative_package=([libblas.so.3]="libblas3" [liblapack.so.3]="liblapack3 libgfortran5 libquadmath0")

die() { echo "gpu-bundle: $*" >&2; exit 1; }

for p in "${dev_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    die "$p is not installed here; run packaging/install-deps.sh first"
done

# The package that holds a file (with /usr merged, a package may have shipped it under /lib or
# /usr/lib).
package_of_file() {
  local real candidate pkg
  real=$(readlink -f "$1")
  for candidate in "$1" "$real" "${1#/usr}" "/usr${1#/usr}" "${real#/usr}" "/usr${real#/usr}"; do
    pkg=$(dpkg -S "$candidate" 2> /dev/null | grep -v '^diversion' | head -1 | cut -d: -f1) || true
    if [ -n "$pkg" ]; then echo "$pkg"; return; fi
  done
  die "no installed package holds $1"
}

# The package of the library a soname resolves to on this machine.
package_of_soname() {
  local path
  path=$(/sbin/ldconfig -p | awk -v name="$1" '$1 == name && /x86-64/ {print $NF; exit}')
  [ -n "$path" ] || die "no library $1 on this machine"
  package_of_file "$path"
}

# Runtime packages: the libraries the -dev packages' .so links name, closed over DT_NEEDED.
declare -A wanted=()
queue=()
for p in "${dev_packages[@]}"; do
  wanted[$p]=1
  while read -r file; do
    if [ -f "$file" ] && [[ $file == *.so ]]; then
      lib=$(readlink -f "$file")
      queue+=("$lib")
      wanted[$(package_of_file "$lib")]=1
    fi
  done < <(dpkg -L "$p")
done
declare -A seen_lib=() package_by_soname=()
while [ ${#queue[@]} -gt 0 ]; do
  lib=${queue[0]}; queue=("${queue[@]:1}")
  [ -n "${seen_lib[$lib]:-}" ] && continue
  seen_lib[$lib]=1
  while read -r soname; do
    if [ -n "${alternative_package[$soname]:-}" ]; then
      for pkg in ${alternative_package[$soname]}; do wanted[$pkg]=1; done
      continue
    fi
    [ -z "${package_by_soname[$soname]:-}" ] && package_by_soname[$soname]=$(package_of_soname "$soname")
    pkg=${package_by_soname[$soname]}
    [[ $toolchain_packages == *" $pkg "* ]] && continue
    if [ -z "${wanted[$pkg]:-}" ]; then
      wanted[$pkg]=1
      while read -r file; do
        [[ $file == *.so* ]] && [ -f "$file" ] && [ ! -L "$file" ] && queue+=("$file")
      done < <(dpkg -L "$pkg")
    fi
  done < <(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done

rm -rf "$bundle"
mkdir -p "$bundle/fixtures"
bundle=$(cd "$bundle" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/prefix"
# The version installed here where the archive still has it (headers and libraries then match what
# this machine builds with), else the archive's current one of the same release.
for p in "${!wanted[@]}"; do
  version=$(dpkg-query -W -f='${Version}' "$p" 2> /dev/null) || version=none  # a stand-in not installed here
  (cd "$work/debs" && { apt-get download -qq "$p=$version" 2> /dev/null || apt-get download -qq "$p" 2> /dev/null; }) ||
    die "could not download $p (apt-get download $p)"
done
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/prefix"; done
# What a build does not read: documentation, and the static archives (Catch2's main excepted).
rm -rf "$work"/prefix/usr/share/{doc,man,info,lintian,locale,bug}
find "$work/prefix" -name '*.a' ! -name 'libCatch2*' -delete
# Of ICU, the engine links libicuuc alone (with its data).
find "$work/prefix" -name 'libicu*' ! -name 'libicuuc*' ! -name 'libicudata*' -delete
(cd "$work/debs" && ls) > "$bundle/PACKAGES"
tar -C "$work/prefix" -cJf "$bundle/prefix.tar.xz" .
tracked=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s}')
used=$((tracked + $(du -sb "$bundle" | cut -f1)))
for f in "${fixtures[@]}"; do
  src="$fixtures_dir/$f"
  [ -f "$src" ] || die "fixture $src not found (ATELIER_FIXTURES_DIR)"
  size=$(stat -c %s "$src")
  if [ $((used + size)) -gt $travel_limit ]; then
    echo "gpu-bundle: left out fixture $f ($size bytes): it would take what travels over 64 MiB" \
      "(tracked files $tracked bytes, bundle so far $((used - tracked)))" >&2
    continue
  fi
  mkdir -p "$bundle/fixtures/$(dirname "$f")"
  cp "$src" "$bundle/fixtures/$f"
  used=$((used + size))
done

(cd "$bundle" && find . -type f ! -name MANIFEST -printf '%10s %p\n' | sort -k2 > MANIFEST)
echo "gpu-bundle: ${#wanted[@]} packages, ${#fixtures[@]} fixture files in $bundle ($(du -sh "$bundle" | cut -f1));" \
  "with the tracked files $((used / 1024 / 1024)) MiB of the 64 MiB that travel"
