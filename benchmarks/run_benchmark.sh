#!/bin/sh
# run_benchmark.sh CLI MODEL RESULTS: times a random SD1.5 checkpoint at 256² and 512², one
# JSON object per size in RESULTS (made fresh).
set -eu
cli=$1 model=$2 results=$3

[ -f "$model" ] || "$cli" make-test-model --family sd15 --out "$model" --dtype f16 --seed 0
: > "$results"
for size in 256 512; do
  "$cli" bench --model "$model" --width "$size" --height "$size" --json | tee -a "$results"
done
