#!/usr/bin/env bash
# bench_serve.sh: how fast does `traceview serve` answer? Builds traceview in
# Release mode, generates an LLVM-shaped trace with tools/gen_trace (cached),
# serves it on 127.0.0.1 and prints one markdown table: time to ready and to
# the first tile, tile latency at five zoom levels, wrk throughput, /meta,
# /overview and /event latency, server memory, each against the brief's
# targets. See the "Server" section of docs/performance.md.
#
#   tools/bench_serve.sh [--quick] [--size 1G] [--perf] [--shape S]
#                        [--dir DIR] [--out FILE] [--trace FILE]
#                        [--work DIR] [--json FILE]
#
# --trace FILE: serve that file instead of generating one (tools/bench.sh).
# --work DIR: work files (default DIR). --json FILE: also write the figures
# as JSON (serve-results.json of bench_tiles.py plus wrk and memory).
# --quick: a 100M trace instead of 1G. --perf: then profile the server under
# one more wrk run (perf record, DWARF call graphs) and print its top
# functions; the profile stays in DIR/serve-perf.{data,txt}.
#
# Environment: TV_BENCH_SIZE (default 1G; --quick: 100M), TV_BENCH_DIR
# (default /tmp/traceview-bench), OUT (default build-bench/bench_serve.md),
# TV_BENCH_SEED (default 1), TV_BENCH_TILES (requests per level, default 200),
# TV_BENCH_WRK_DURATION (default 10s), TV_BENCH_WRK_RUNS (wrk runs, the best
# is reported; default 3), TV_BENCH_QUIET_WAIT (s to wait for other processes
# to calm down before each phase; default 60), TV_BENCH_SERVE_ARGS (more
# `serve` arguments, e.g. --no-cache).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-bench"
SIZE=${TV_BENCH_SIZE:-1G}
DIR=${TV_BENCH_DIR:-/tmp/traceview-bench}
OUT=${OUT:-"$BUILD/bench_serve.md"}
SEED=${TV_BENCH_SEED:-1}
TILES=${TV_BENCH_TILES:-200}
WRK_DURATION=${TV_BENCH_WRK_DURATION:-10s}
WRK_RUNS=${TV_BENCH_WRK_RUNS:-3}
WRK_CONNECTIONS=32
WRK_THREADS=2
SHAPE=llvm
PERF=0
TRACE=""
WORK=""
JSON=""

usage() {
    sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) SIZE="100M" ;;
        --size) SIZE=${2:?--size needs a size}; shift ;;
        --perf) PERF=1 ;;
        --shape) SHAPE=${2:?--shape needs llvm or chromium}; shift ;;
        --dir) DIR=${2:?--dir needs a directory}; shift ;;
        --out) OUT=${2:?--out needs a file}; shift ;;
        --trace) TRACE=${2:?--trace needs a file}; shift ;;
        --work) WORK=${2:?--work needs a directory}; shift ;;
        --json) JSON=${2:?--json needs a file}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench_serve: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$SHAPE" in llvm|chromium) ;; *) echo "bench_serve: bad --shape $SHAPE" >&2; exit 2 ;; esac

log() { echo "bench_serve: $*" >&2; }

# --- dependencies, installed on demand so the script runs on a fresh box:
# wrk drives the load, python3 is the latency client, perf only for --perf.
source "$ROOT/tools/bench_lib.sh"
bench_install wrk:wrk python3:python3 cmake:cmake
if [ "$PERF" = 1 ]; then bench_install perf:linux-perf; fi

WORK=${WORK:-$DIR}
mkdir -p "$WORK"

# --- build (Release: the numbers users will see)
bench_build "$WORK/serve-cmake.log"
TV="$BUILD/traceview"
GEN="$BUILD/gen_trace"

# --- the trace: cached by size, shape, seed and the generator's source (the
# same names as tools/bench_index.sh, so the two share the cache).
if [ -n "$TRACE" ]; then f=$TRACE; else f=$(bench_trace "$SHAPE" "$SIZE" "$SEED"); fi
log "$(basename "$f"): warming the page cache"
cat "$f" >/dev/null

# --- the server: a free loopback port picked here, so /api/traces can be
# polled from the first millisecond (the announcement line comes only when
# the trace is ready). Stopped on any exit.
SRV=""
PERF_PID=""
cleanup() {
    if [ -n "$PERF_PID" ] && kill -0 "$PERF_PID" 2>/dev/null; then kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; fi
    if [ -n "$SRV" ] && kill -0 "$SRV" 2>/dev/null; then
        kill -TERM "$SRV" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SRV" 2>/dev/null || true
        wait "$SRV" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_quiet
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log "serving $(basename "$f") on 127.0.0.1:$PORT"
child_ticks; k0=$KT; m0=$(machine_ticks)
t0=$(date +%s%N)
"$TV" serve "$f" --port "$PORT" --quiet ${TV_BENCH_SERVE_ARGS:-} >"$WORK/serve.out" 2>"$WORK/serve.err" &
SRV=$!

timeout 1200 python3 "$ROOT/tools/bench_tiles.py" measure --port "$PORT" --pid "$SRV" \
    --t0-ns "$t0" --dir "$WORK" --serve-out "$WORK/serve.out" --tiles "$TILES" --seed "$SEED" \
    --timeout 600
child_ticks; k1=$KT; m1=$(machine_ticks); t1=$(date +%s%N)
other_lat=$(cores "$(( m1 - m0 - (k1 - k0) - $(proc_ticks "$SRV") ))" "$((t1 - t0))")
PORT=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/serve-results.json")

# --- throughput: wrk cycling through the sampled tile paths (all five
# levels, equal weight, shuffled). wrk sends no If-None-Match: every request
# computes its tile and its JSON.
cat >"$WORK/serve-wrk.lua" <<'EOF'
-- written by tools/bench_serve.sh: GET the paths listed in a file (one per
-- line) in turn; each wrk thread starts at a different place in the list.
local n_threads = 0
function setup(thread)
    thread:set("first", n_threads)
    n_threads = n_threads + 1
end
local paths, i = {}, 0
function init(args)
    for line in io.lines(args[1]) do paths[#paths + 1] = line end
    i = ((first or 0) * 7919) % #paths
end
function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
EOF
log "wrk: $WRK_CONNECTIONS connections, $WRK_THREADS threads, $WRK_DURATION, best of $WRK_RUNS, over $(wc -l <"$WORK/serve-urls.txt") tile paths"
best_rps="" all_rps=""
for ((r = 1; r <= WRK_RUNS; r++)); do
    wait_quiet
    child_ticks; k0=$KT; c0=$(proc_ticks "$SRV"); m0=$(machine_ticks); w0=$(date +%s%N)
    timeout 120 wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --timeout 2s --latency \
        -s "$WORK/serve-wrk.lua" "http://127.0.0.1:$PORT/" -- "$WORK/serve-urls.txt" >"$WORK/serve-wrk-$r.txt"
    child_ticks; k1=$KT; c1=$(proc_ticks "$SRV"); m1=$(machine_ticks); w1=$(date +%s%N)
    kill -0 "$SRV" 2>/dev/null || { log "the server died under load:"; cat "$WORK/serve.err" >&2; exit 1; }
    sed "s/^/bench_serve: wrk run $r: /" "$WORK/serve-wrk-$r.txt" >&2
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/serve-wrk-$r.txt")
    other=$(cores "$(( m1 - m0 - (k1 - k0) - (c1 - c0) ))" "$((w1 - w0))")
    log "wrk run $r: $rps req/s; other processes used $other cores"
    all_rps="$all_rps${all_rps:+, }$(awk -v v="$rps" 'BEGIN { printf "%.0f", v }')"
    if [ -z "$best_rps" ] || awk -v a="$rps" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then
        best_rps=$rps
        cp "$WORK/serve-wrk-$r.txt" "$WORK/serve-wrk.txt"
        server_cpu=$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / t }')
        wrk_s=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        wrk_cores=$(cores "$((k1 - k0))" "$((w1 - w0))")
        other_wrk=$other
    fi
done
rss_anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$SRV/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV/status")

# --- where the server spends its time under the same load: one more wrk run
# (not in the table: sampling with DWARF stacks slows the server), perf
# attached to the server only.
if [ "$PERF" = 1 ]; then
    log "perf: profiling the server under one more, identical wrk run"
    rm -f "$WORK/serve-perf.data" "$WORK/serve-perf.data.old"
    perf record -F 499 --call-graph dwarf,16384 -p "$SRV" -o "$WORK/serve-perf.data" \
        >"$WORK/serve-perf.log" 2>&1 &
    PERF_PID=$!
    sleep 1
    timeout 120 wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --timeout 2s --latency \
        -s "$WORK/serve-wrk.lua" "http://127.0.0.1:$PORT/" -- "$WORK/serve-urls.txt" >"$WORK/serve-wrk-perf.txt"
    kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=""
    log "perf: wrk under perf: $(grep Requests/sec "$WORK/serve-wrk-perf.txt")"
fi

# --- the figures as JSON, for tools/bench.sh
if [ -n "$JSON" ]; then
    python3 - "$WORK/serve-results.json" "$WORK/serve-wrk.txt" "$JSON" <<PY
import json, sys
sys.path.insert(0, "$ROOT/tools")
from bench_tiles import parse_wrk
res = json.load(open(sys.argv[1]))
for lv in res["levels"]:
    lv.pop("secs", None)
res["wrk"] = parse_wrk(open(sys.argv[2]).read())
res["wrk"].update({"runs_rps": "$all_rps", "duration": "$WRK_DURATION", "connections": $WRK_CONNECTIONS,
                   "threads": $WRK_THREADS, "server_cpu_s": $server_cpu, "wall_s": $wrk_s,
                   "wrk_cores": $wrk_cores, "other_cores": $other_wrk})
res["memory"] = {"rss_anon_kib": $rss_anon, "vmhwm_kib": $hwm}
res["other_cores_startup"] = $other_lat
json.dump(res, open(sys.argv[3], "w"))
PY
fi

# --- the table
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
mkdir -p "$(dirname "$OUT")"
{
    echo "traceview serve benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores${CPU:+ ($CPU)}, rev $REV, $SHAPE trace (gen_trace seed $SEED), loopback; client, wrk and server share the machine. Other processes used $other_lat cores during start-up and the latency runs, $other_wrk during the best wrk run (load average at start $LOAD)."
    echo
    python3 "$ROOT/tools/bench_tiles.py" table --results "$WORK/serve-results.json" \
        --wrk "$WORK/serve-wrk.txt" --wrk-duration "$WRK_DURATION" --wrk-runs "$all_rps" --server-cpu-s "$server_cpu" \
        --wrk-s "$wrk_s" --wrk-cores "$wrk_cores" --rss-anon-kib "$rss_anon" --hwm-kib "$hwm"
} | tee "$OUT"
log "table written to $OUT"

if [ "$PERF" = 1 ]; then
    perf report -i "$WORK/serve-perf.data" --no-children --sort dso,symbol --stdio --percent-limit 0.7 \
        -g graph,0.5,callee 2>/dev/null | grep -v '^$' >"$WORK/serve-perf.txt" || true
    perf report -i "$WORK/serve-perf.data" --children --sort symbol --stdio -g none --percent-limit 3 \
        2>/dev/null | grep -v '^$' >"$WORK/serve-perf-children.txt" || true
    log "perf (server during wrk, self time; call graphs in $WORK/serve-perf.txt):"
    grep -E '^ +[0-9.]+%' "$WORK/serve-perf.txt" | head -25 | sed 's/^/bench_serve: perf: /' >&2
    log "perf (server during wrk, time including callees: $WORK/serve-perf-children.txt):"
    grep -E '^ +[0-9.]+%' "$WORK/serve-perf-children.txt" | head -25 | sed 's/^/bench_serve: perf: /' >&2
fi
