#!/bin/sh
# run_benchmark.sh CLI MODEL RESULTS: times a random SD1.5 checkpoint at 256², 512² and 768², and
# at 512² in low-memory mode, one JSON object per run in RESULTS (made fresh), each with its own
# matmul peak, page faults, system time and huge-page settings.
set -eu
cli=$1 model=$2 results=$3

[ -f "$model" ] || "$cli" make-test-model --family sd15 --out "$model" --dtype f16 --seed 0
: > "$results"
for size in 256 512; do
  "$cli" bench --model "$model" --width "$size" --height "$size" --json | tee -a "$results"
done
"$cli" bench --model "$model" --width 768 --height 768 --steps 2 --json | tee -a "$results"
"$cli" bench --model "$model" --width 512 --height 512 --steps 2 --low-memory --json | tee -a "$results"
