#!/usr/bin/env bash
# Browser memory benchmark: serves a trace (a file, or a generated
# LLVM-shaped trace of SIZE, default 1G, from the shared bench cache) and
# tours it in headless Chromium, printing the JS heap. Not a test. The last
# line of the output is the result as JSON (tools/bench.sh reads it).
#   tools/bench_browser.sh [SIZE|FILE] [STEPS]     e.g. tools/bench_browser.sh 1G 60
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
DIR="${TV_BENCH_DIR:-/tmp/traceview-bench}"
arg="${1:-1G}"
steps="${2:-60}"
log() { echo "bench_browser: $*" >&2; }
source "$ROOT/tools/bench_lib.sh"
"$ROOT/tools/setup.sh" --test >&2
bench_build "$DIR/browser-cmake.log"
if [[ -f "$arg" ]]; then trace="$arg"; else trace=$(bench_trace llvm "$arg" 1); fi
cd "$ROOT/tests/browser"
TRACEVIEW_BIN="$BUILD/traceview" timeout 1200 node bench_heap.mjs "$trace" "$steps"
