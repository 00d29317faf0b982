#!/bin/sh
# The Debian package as a user gets it: built by CPack from this build tree, unpacked into a
# scratch root, its atelier-cli run from there (it must find share/atelier from its own prefix),
# its Depends free of -dev packages, its metainfo, desktop file and (when installed) lintian clean.
# usage: test_package.sh BUILD_DIR TEST_DATA_DIR
set -eu
build=$1
data=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset ATELIER_RESOURCE_DIR || true

cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" > "$scratch/cpack.log" 2>&1 || { cat "$scratch/cpack.log"; exit 1; }
deb=$(ls "$scratch"/out/atelier_*.deb)
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
case "$depends" in *-dev,* | *-dev) echo "FAIL: Depends names a -dev package"; exit 1 ;; esac
[ -n "$depends" ] || { echo "FAIL: no Depends"; exit 1; }

dpkg -x "$deb" "$scratch/root"
usr=$scratch/root/usr
cli=$usr/bin/atelier-cli
"$cli" --version
# The ids OpenAI's tokenizer gives (the sd1-tiny reference), from the package's own vocabulary.
expected=$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["tokenizer"]["cases"][1]; print(c["prompt"]); print(*c["ids77"])' \
  "$data/sd1-tiny/reference.json")
prompt=$(echo "$expected" | head -1)
[ "$("$cli" tokenize "$prompt")" = "$(echo "$expected" | tail -1)" ] || { echo "FAIL: tokenize from the package"; exit 1; }
"$cli" inspect "$data/sd1-tiny/model.safetensors" | grep -q '^family: SD1' || { echo "FAIL: inspect from the package"; exit 1; }
zcat "$usr/share/man/man1/atelier-cli.1.gz" | grep -q 'tokenize' || { echo "FAIL: man page"; exit 1; }
for size in 16 48 256 512; do [ -s "$usr/share/icons/hicolor/${size}x${size}/apps/org.atelier.Atelier.png" ]; done

# Without its share/atelier the installed program has nothing to fall back on.
mv "$usr/share/atelier" "$usr/share/atelier-moved"
if "$cli" tokenize "a cat" > /dev/null 2> "$scratch/missing.txt"; then echo "FAIL: ran without its resources"; exit 1; fi
grep -q "$usr/share/atelier" "$scratch/missing.txt" || { cat "$scratch/missing.txt"; echo "FAIL: looked elsewhere"; exit 1; }
mv "$usr/share/atelier-moved" "$usr/share/atelier"

appstreamcli validate --no-net "$usr/share/metainfo/org.atelier.Atelier.metainfo.xml"
desktop-file-validate "$usr/share/applications/org.atelier.Atelier.desktop"
if command -v lintian > /dev/null; then
  lintian --allow-root "$deb" > "$scratch/lintian.txt" 2>&1 || true
  cat "$scratch/lintian.txt"
  if grep -q '^E:' "$scratch/lintian.txt"; then echo "FAIL: lintian errors"; exit 1; fi
fi
echo "package test passed"
