#!/usr/bin/env bash
# bench.sh: the whole benchmark suite, one command, one table. Builds
# traceview in Release mode, generates (and caches) the traces, measures
# each, and prints one markdown table (one column per trace) that is also
# written to build-bench/bench-results.md; then the index-time-against-size
# plot (SVG) and, with --perf, a profile of indexing. See
# docs/performance.md for what every row means.
#
#   tools/bench.sh                 # full run: LLVM 100M, 1G, 1.4G and a 500M
#                                  # Chromium trace with ~280 threads; plot
#                                  # over 50M..1.4G into docs/ (~15 min)
#   tools/bench.sh --quick         # LLVM 100M only; plot over 50M..200M
#                                  # into build-bench/ (~2 min)
#
# Options: --no-jq (skip jq: it needs ~6.5x the file in RAM and a minute per
# GB), --no-serve, --no-browser, --no-plot, --perf (perf record of
# `traceview info` on PERF_SIZE, default 1G), --sizes "100M 1G 1.4G" (LLVM),
# --chromium "500M" (or none), --chromium-threads 64, --plot-sizes LIST,
# --plot-out FILE, --runs N (traceview runs per measurement, best reported,
# default 3), --dir DIR (trace cache), --out FILE (the table).
#
# Environment: TV_BENCH_DIR (trace cache, default /tmp/traceview-bench,
# shared with the other bench scripts), TV_BENCH_SEED (1), TV_BENCH_RUNS,
# TV_BENCH_QUIET_WAIT (s to wait for a quiet machine before each serve
# phase; default 15 here), TV_BENCH_WRK_DURATION (10s), TV_BENCH_WRK_RUNS
# (3), TV_BENCH_TILES (200), TV_BENCH_BROWSER_STEPS (60), PERF_SIZE (1G).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-bench"
DIR=${TV_BENCH_DIR:-/tmp/traceview-bench}
OUT="$BUILD/bench-results.md"
SEED=${TV_BENCH_SEED:-1}
RUNS=${TV_BENCH_RUNS:-3}
SIZES="100M 1G 1.4G"
CHROMIUM="500M"
CHROMIUM_THREADS=64
PLOT_SIZES="50M 100M 200M 400M 800M 1.4G"
PLOT_OUT="$ROOT/docs/perf-index-vs-size.svg"
PERF_SIZE=${PERF_SIZE:-1G}
WITH_JQ=1 WITH_SERVE=1 WITH_BROWSER=1 WITH_PLOT=1 WITH_PERF=0 QUICK=0
export TV_BENCH_QUIET_WAIT=${TV_BENCH_QUIET_WAIT:-15}

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-jq) WITH_JQ=0 ;;
        --no-serve) WITH_SERVE=0 ;;
        --no-browser) WITH_BROWSER=0 ;;
        --no-plot) WITH_PLOT=0 ;;
        --perf) WITH_PERF=1 ;;
        --sizes) SIZES_ARG=${2:?--sizes needs a list}; shift ;;
        --chromium) CHROMIUM_ARG=${2:?--chromium needs a size or none}; shift ;;
        --chromium-threads) CHROMIUM_THREADS=${2:?}; shift ;;
        --plot-sizes) PLOT_SIZES_ARG=${2:?}; shift ;;
        --plot-out) PLOT_OUT_ARG=${2:?}; shift ;;
        --runs) RUNS=${2:?}; shift ;;
        --dir) DIR=${2:?}; shift ;;
        --out) OUT=${2:?}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    SIZES="100M" CHROMIUM="none" PLOT_SIZES="50M 100M 200M"
    PLOT_OUT="$BUILD/perf-index-vs-size.svg"
    export TV_BENCH_WRK_RUNS=${TV_BENCH_WRK_RUNS:-1}
fi
# explicit options win over --quick
SIZES=${SIZES_ARG:-$SIZES} CHROMIUM=${CHROMIUM_ARG:-$CHROMIUM}
PLOT_SIZES=${PLOT_SIZES_ARG:-$PLOT_SIZES} PLOT_OUT=${PLOT_OUT_ARG:-$PLOT_OUT}
[ "$CHROMIUM" = none ] && CHROMIUM=""

log() { echo "bench: $(date +%H:%M:%S) $*" >&2; }
source "$ROOT/tools/bench_lib.sh"
bench_install jq:jq cmake:cmake python3:python3 wrk:wrk
[ "$WITH_PERF" = 1 ] && bench_install perf:linux-perf

# Work files live in the build tree (per worktree): the trace cache in DIR
# may be shared with other checkouts.
WORK="$BUILD/bench-work"
rm -rf "$WORK"
mkdir -p "$WORK" "$DIR"
bench_build "$WORK/cmake.log"
TV="$BUILD/traceview"
START=$(date -u +%Y-%m-%dT%H:%MZ)
M0=$(machine_ticks); T0=$(now_ns); LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

log "disk: $(df -h "$DIR" | awk 'NR == 2 { print $4 " free on " $6 }')"

# --- the traces (cached in DIR by shape, size, seed and generator hash)
: >"$WORK/traces.tsv"
for s in $SIZES; do
    f=$(bench_trace llvm "$s" "$SEED")
    printf 'llvm-%s\tllvm\t%s\n' "$s" "$f" >>"$WORK/traces.tsv"
done
if [ -n "$CHROMIUM" ]; then
    f=$(bench_trace chromium "$CHROMIUM" "$SEED" "$CHROMIUM_THREADS")
    printf 'chromium-%s\tchromium\t%s\n' "$CHROMIUM" "$f" >>"$WORK/traces.tsv"
fi

# Does this traceview have an index cache? `traceview index --help` fails
# without the command; its help says "not saved" while there is no cache.
CACHE=none
if "$TV" index --help >"$WORK/index-help.txt" 2>&1; then
    if tr -s ' \n' '  ' <"$WORK/index-help.txt" | grep -qi "not saved"; then CACHE=unsaved; else CACHE=yes; fi
fi
# Measure indexing, not cache loads, where the CLI can be told so.
NOCACHE=()
if "$TV" info --help 2>&1 | grep -q -- "--no-cache"; then NOCACHE=(--no-cache); fi
if "$TV" serve --help 2>&1 | grep -q -- "--no-cache"; then export TV_BENCH_SERVE_ARGS=--no-cache; fi
log "index cache: $CACHE"

while IFS=$'\t' read -r key shape f; do
    mkdir -p "$WORK/$key"
    log "== $key: $(basename "$f") ($(stat -c %s "$f") bytes); warming the page cache"
    cat "$f" >/dev/null
    # indexing at 1 and 2 scanning threads
    for t in 1 2; do
        TV_INFO_ARGS="${NOCACHE[*]}" bench_info "$f" "$t" "$RUNS" "$WORK/$key/index-$t.json" </dev/null
    done
    TV_INFO_ARGS="${NOCACHE[*]}" bench_summary "$f" "$shape" "$RUNS" >"$WORK/$key/summary.txt" </dev/null
    log "  traceview summary: best $(cat "$WORK/$key/summary.txt") s"
    if [ "$WITH_JQ" = 1 ]; then
        bench_jq "$f" "$shape" "$WORK/$key/jq.json" </dev/null
        cat "$f" >/dev/null   # jq's 6 GB may have pushed the trace out of the page cache
    fi
    if [ "$WITH_SERVE" = 1 ]; then
        log "  serve: ready, tiles per zoom level, wrk"
        TV_BENCH_SEED=$SEED "$ROOT/tools/bench_serve.sh" --trace "$f" --work "$WORK/$key" \
            --json "$WORK/$key/serve.json" --out "$WORK/$key/serve.md" </dev/null >/dev/null 2>"$WORK/$key/serve.log" ||
            { log "  bench_serve.sh failed:"; tail -20 "$WORK/$key/serve.log" >&2; }
        log "  analysis: summary, flame graph (first and cached)"
        timeout 900 python3 "$ROOT/tools/bench_analysis.py" "$TV" "$f" --runs 20 \
            --json "$WORK/$key/analysis.json" </dev/null >"$WORK/$key/analysis.md" 2>&1 ||
            { log "  bench_analysis.py failed:"; tail -5 "$WORK/$key/analysis.md" >&2; }
    fi
    if [ "$WITH_BROWSER" = 1 ]; then
        log "  browser: JS heap over a pan/zoom tour"
        if "$ROOT/tools/bench_browser.sh" "$f" "${TV_BENCH_BROWSER_STEPS:-60}" </dev/null \
            >"$WORK/$key/browser.out" 2>"$WORK/$key/browser.log"; then
            tail -1 "$WORK/$key/browser.out" >"$WORK/$key/browser.json"
        else
            log "  bench_browser.sh failed:"; tail -5 "$WORK/$key/browser.log" >&2
        fi
    fi
    # reopen: last, so a cache written here cannot speed up the other rows
    case "$CACHE" in
        none) echo '{"text": "n/a (no `traceview index`)"}' >"$WORK/$key/reopen.json" ;;
        unsaved) echo '{"text": "n/a (no cache yet)"}' >"$WORK/$key/reopen.json" ;;
        yes)
            # A private cache directory: the user's cache stays untouched, and
            # no later `info` (the plot) can answer from this cache.
            rm -rf "$WORK/reopen-cache"
            t0=$(now_ns); "$TV" index "$f" --quiet --cache-dir "$WORK/reopen-cache" </dev/null >/dev/null
            idx_s=$(secs_since "$t0")
            best=""
            for ((i = 1; i <= RUNS; i++)); do
                t0=$(now_ns); "$TV" info "$f" --quiet --cache-dir "$WORK/reopen-cache" </dev/null >/dev/null
                best=$(min "$best" "$(secs_since "$t0")")
            done
            rm -rf "$WORK/reopen-cache"
            jq -n --argjson s "$best" --argjson i "$idx_s" \
                '{reopen_s: $s, index_s: $i, text: "\($s) (index \($i))"}' >"$WORK/$key/reopen.json"
            log "  reopen: ${best}s after traceview index (${idx_s}s)" ;;
    esac
done <"$WORK/traces.tsv"

M1=$(machine_ticks); T1=$(now_ns)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
HEADER="traceview benchmark suite (\`tools/bench.sh$([ "$QUICK" = 1 ] && echo " --quick")\`), $START, $(nproc) cores${CPU:+ ($CPU)}, rev $REV, gen_trace seed $SEED; best of $RUNS traceview runs, one jq run per file; load average at start $LOAD0; the machine was $(cores "$((M1 - M0))" "$((T1 - T0))") cores busy on average over the run (this suite included)."
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/tools/bench_report.py" "$WORK" --header "$HEADER" | tee "$OUT"

# --- index time against file size, 1 and 2 threads, with least-squares lines
if [ "$WITH_PLOT" = 1 ]; then
    log "== plot: index time against size ($PLOT_SIZES)"
    : >"$WORK/plot.tsv"
    for s in $PLOT_SIZES; do
        f=$(bench_trace llvm "$s" "$SEED")
        cat "$f" >/dev/null
        for t in 1 2; do
            TV_INFO_ARGS="${NOCACHE[*]}" bench_info "$f" "$t" "$RUNS" "$WORK/plot.json" </dev/null
            jq -r '[.info.bytes, .threads, .info.index.seconds] | @tsv' "$WORK/plot.json" >>"$WORK/plot.tsv"
        done
    done
    mkdir -p "$(dirname "$PLOT_OUT")"
    python3 "$ROOT/tools/bench_plot.py" "$WORK/plot.tsv" "$PLOT_OUT" \
        --title "traceview index time against file size (LLVM traces, $(nproc) cores, rev $REV)"
    {
        echo
        echo "Index time against file size (best of $RUNS, indexer's clock), plotted in \`$(realpath --relative-to="$ROOT" "$PLOT_OUT")\`:"
        echo
        echo "| bytes | threads | index s | MB/s |"
        echo "|--:|--:|--:|--:|"
        awk -F'\t' '{ printf "| %d | %d | %.3f | %.0f |\n", $1, $2, $3, $1 / $3 / 1e6 }' "$WORK/plot.tsv"
    } | tee -a "$OUT"
fi

# --- where indexing spends its time: perf record of `traceview info`
if [ "$WITH_PERF" = 1 ]; then
    f=$(bench_trace llvm "$PERF_SIZE" "$SEED")
    cat "$f" >/dev/null
    log "== perf record --call-graph dwarf: traceview info $(basename "$f")"
    perf record -F 999 --call-graph dwarf,16384 -o "$WORK/perf-index.data" -- \
        "$TV" info "$f" --quiet "${NOCACHE[@]}" >/dev/null 2>"$WORK/perf.log" </dev/null
    perf script -i "$WORK/perf-index.data" 2>/dev/null >"$WORK/perf-index.txt"
    {
        echo
        echo "Profile of \`traceview info $(basename "$f")\` (2 threads; \`perf record -F 999 --call-graph dwarf\`, \`perf script\`, \`tools/bench_profile.py\`): share of all samples with the function as the leaf (self) and anywhere on the stack (total)."
        echo
        python3 "$ROOT/tools/bench_profile.py" --markdown --top 25 --folded "$WORK/perf-index.folded" <"$WORK/perf-index.txt"
    } | tee -a "$OUT"
fi
log "table written to $OUT"
