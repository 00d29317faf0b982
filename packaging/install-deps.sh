#!/usr/bin/env bash
# Installs every Debian package Atelier needs to build, test and run.
# Idempotent: packages already present are left as they are. Debian 12 / Ubuntu 22.04+.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # engine
  libtorch-dev libopenblas0-pthread
  libopencv-dev libstb-dev libicu-dev zlib1g-dev
  libsqlite3-dev nlohmann-json3-dev libyaml-cpp-dev
  # model downloads (atelier-cli models pull, the model manager)
  libcurl4-openssl-dev
  # the HTTP API (atelier-cli serve)
  libcpp-httplib-dev
  # tests
  catch2
  # the Debian package (CPack): man pages, icons, Depends, and its checks
  help2man librsvg2-bin dpkg-dev lintian appstream desktop-file-utils
  # the GPU scripts' dry run (packaging/gpu-check.sh --dry-run): Debian's PyTorch beside its LibTorch
  python3-torch python3-pil xz-utils
  # studio (Qt 6 Quick and every QML module it imports)
  qt6-base-dev qt6-declarative-dev qt6-declarative-dev-tools
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-dialogs qml6-module-qtquick-templates qml6-module-qtquick-window
  qml6-module-qtqml-workerscript qml6-module-qttest qml6-module-qtquick-shapes
  qml6-module-qt-labs-settings qml6-module-qt-labs-folderlistmodel
  qml6-module-qtcore
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
