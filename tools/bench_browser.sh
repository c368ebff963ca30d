#!/usr/bin/env bash
# Browser memory benchmark: serves a generated LLVM-shaped trace (default
# 1 GB) and tours it in headless Chromium, printing the JS heap. Not a test.
#   tools/bench_browser.sh [SIZE] [STEPS]     e.g. tools/bench_browser.sh 1G 60
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size="${1:-1G}"
steps="${2:-60}"
"$root/tools/setup.sh" --test
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build-bench" -j"$(nproc)" --target traceview gen_trace >/dev/null
dir="${TV_BENCH_DIR:-/tmp/traceview-bench}"
mkdir -p "$dir"
trace="$dir/browser-llvm-$size.json"
[[ -s "$trace" ]] || "$root/build-bench/gen_trace" --size "$size" --seed 1 -o "$trace"
cd "$root/tests/browser"
TRACEVIEW_BIN="$root/build-bench/traceview" node bench_heap.mjs "$trace" "$steps"
