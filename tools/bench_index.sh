#!/usr/bin/env bash
# bench_index.sh: how fast and how lean is traceview's indexer, compared with
# what users run today (jq)? Builds traceview in Release mode, generates
# LLVM-shaped traces with tools/gen_trace (cached), and prints one markdown
# table. See docs/performance.md for what each column means.
#
#   tools/bench_index.sh [--quick] [--no-jq] [--sizes "100M 1G"] [--shape S]
#                        [--dir DIR] [--out FILE] [SIZE...]
#
# Environment: TV_BENCH_SIZES (default "100M 1G"), TV_BENCH_DIR (default
# /tmp/traceview-bench), OUT (default build-bench/bench_index.md),
# TV_BENCH_SEED (default 1), TV_BENCH_RUNS (default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-bench"
SIZES=${TV_BENCH_SIZES:-"100M 1G"}
DIR=${TV_BENCH_DIR:-/tmp/traceview-bench}
OUT=${OUT:-"$BUILD/bench_index.md"}
SEED=${TV_BENCH_SEED:-1}
RUNS=${TV_BENCH_RUNS:-3}
SHAPE=llvm
WITH_JQ=1
ARG_SIZES=()

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) SIZES="100M" ;;
        --no-jq) WITH_JQ=0 ;;
        --sizes) SIZES=${2:?--sizes needs a list}; shift ;;
        --shape) SHAPE=${2:?--shape needs llvm or chromium}; shift ;;
        --dir) DIR=${2:?--dir needs a directory}; shift ;;
        --out) OUT=${2:?--out needs a file}; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "bench_index: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) ARG_SIZES+=("$1") ;;
    esac
    shift
done
if [ ${#ARG_SIZES[@]} -gt 0 ]; then SIZES="${ARG_SIZES[*]}"; fi
case "$SHAPE" in llvm|chromium) ;; *) echo "bench_index: bad --shape $SHAPE" >&2; exit 2 ;; esac

log() { echo "bench_index: $*" >&2; }

# --- dependencies: jq parses traceview's JSON (and is the baseline), GNU
# time gives peak RSS. Installed on demand so the script runs on a fresh box.
source "$ROOT/tools/bench_lib.sh"
bench_install jq:jq cmake:cmake /usr/bin/time:time

# --- build (Release: the numbers users will see)
bench_build "$DIR/cmake.log"
TV="$BUILD/traceview"
GEN="$BUILD/gen_trace"

# --- traces: cached by size, shape, seed and the generator's source, so a
# changed generator never reuses stale files.
FILES=()
for s in $SIZES; do FILES+=("$(bench_trace "$SHAPE" "$s" "$SEED")"); done

WORK="$DIR/work-index"
mkdir -p "$WORK"

ROWS=()
for f in "${FILES[@]}"; do
    bytes=$(stat -c %s "$f")
    log "$(basename "$f"): warming the page cache"
    cat "$f" >/dev/null

    # traceview info: best of $RUNS by the index's own clock; peak RSS is
    # the largest seen over the runs (tools/bench_mem.py).
    bench_info "$f" "${TRACEVIEW_THREADS:-0}" "$RUNS" "$WORK/index.json"
    read -r best_idx best_wall peak_kb events items mbps evps ibytes bpe < <(jq -r '[.info.index.seconds,
        .wall_s, .mem.vmhwm_kib, .info.events,
        (.info.slices + .info.instants + .info.counter_samples), .info.index.mb_per_s,
        .info.index.events_per_s, .info.index.index_bytes, .info.index.bytes_per_event] | @tsv' "$WORK/index.json")
    best_wall=$(fmt "$best_wall" "%.3f")
    # RSS counts the touched pages of the mapped file too; what is left is
    # the index and everything else the process allocated.
    rss_bpe=$(awk -v k="$peak_kb" -v b="$bytes" -v n="$items" 'BEGIN { printf "%.1f", n ? (k * 1024 - b) / n : 0 }')

    # traceview summary: the blog question, answered from the index.
    best_sum=$(bench_summary "$f" "$SHAPE" "$RUNS")
    log "  traceview summary: best ${best_sum}s"

    jq_len="-" jq_len_kb="-" jq_grp="-" x_len="-" x_grp="-"
    if [ "$WITH_JQ" = 1 ]; then
        bench_jq "$f" "$SHAPE" "$WORK/jq.json"
        read -r jq_len jq_len_kb jq_grp < <(jq -r '[.length_s, (.length_vmhwm_kib // "-"), .group_by_s] | @tsv' "$WORK/jq.json")
        if [ "$jq_len" != failed ]; then
            x_len=$(awk -v a="$jq_len" -v b="$best_idx" 'BEGIN { printf "%.0fx", a / b }')
            jq_len=$(fmt "$jq_len" "%.3f")
        fi
        if [ "$jq_grp" != failed ]; then
            x_grp=$(awk -v a="$jq_grp" -v b="$best_sum" 'BEGIN { printf "%.0fx", a / b }')
            jq_grp=$(fmt "$jq_grp" "%.3f")
        fi
    fi

    jq_len_gib="-"
    if [ "$jq_len_kb" != "-" ]; then
        jq_len_gib=$(awk -v k="$jq_len_kb" 'BEGIN { printf "%.2f", k / 1048576 }')
    fi
    ROWS+=("| $(basename "$f") \
| $(fmt "$bytes" "%.0f") \
| $(fmt "$events" "%.0f") \
| $(fmt "$best_idx" "%.3f") \
| $(fmt "$mbps" "%.0f") \
| $(awk -v v="$evps" 'BEGIN { printf "%.1f", v / 1e6 }') \
| $(awk -v v="$ibytes" 'BEGIN { printf "%.1f", v / 1048576 }') \
| $(fmt "$bpe" "%.1f") \
| $(fmt "$best_wall" "%.3f") \
| $(awk -v k="$peak_kb" 'BEGIN { printf "%.1f", k / 1024 }') \
| $rss_bpe \
| $jq_len \
| $jq_len_gib \
| $x_len \
| $jq_grp \
| $(fmt "$best_sum" "%.3f") \
| $x_grp |")
done

# --- the table
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
mkdir -p "$(dirname "$OUT")"
{
    echo "traceview index benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores${CPU:+ ($CPU)}, rev $REV, $SHAPE traces (gen_trace seed $SEED), best of $RUNS for traceview, one run for jq."
    echo
    echo "| file | bytes | events | index s | MB/s | M events/s | index MiB | index B/event | tv wall s | peak RSS MiB | (RSS - file) B/event | jq length s | jq length RSS GiB | speedup vs jq length | jq group-by s | tv summary s | speedup vs jq group-by |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$OUT"
log "table written to $OUT"
