#!/usr/bin/env bash
# bench_reopen.sh: how fast does a trace reopen from the index cache? For
# each binary: `traceview index FILE` once into a private cache directory,
# then RUNS rounds (binaries alternating, so a noisy machine hits them alike)
# of `traceview info FILE --json` (wall, user + sys CPU, .cache.load_seconds,
# peak RSS) and of `traceview serve FILE` until /api/traces says ready
# (polled every 5 ms; wall, and the server's CPU then). Prints a markdown
# table: median and best of each.
#
#   tools/bench_reopen.sh [--trace FILE] [--size 1.4G] [--runs N] [--tv BIN]
#                         [--old BIN] [--cache-dir DIR] [--pause S]
#
# --tv BIN: the binary to measure (default: built in Release in build-bench);
# --old BIN: a second one, alternated with it (e.g. the previous commit's);
# --cache-dir DIR: private cache root (default /tmp/traceview-bench-reopen;
# one subdirectory per binary, emptied first); --pause S: seconds between
# runs (default 2: memory freed by one run is not what the next one gets).
# Environment: TV_BENCH_DIR (default /tmp/traceview-bench), TV_BENCH_SEED.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-bench"
DIR=${TV_BENCH_DIR:-/tmp/traceview-bench}
SEED=${TV_BENCH_SEED:-1}
SIZE=1.4G
RUNS=5
TRACE=""
TV=""
OLD=""
CACHE=/tmp/traceview-bench-reopen
PAUSE=2

while [ $# -gt 0 ]; do
    case "$1" in
        --trace) TRACE=${2:?}; shift ;;
        --size) SIZE=${2:?}; shift ;;
        --runs) RUNS=${2:?}; shift ;;
        --tv) TV=${2:?}; shift ;;
        --old) OLD=${2:?}; shift ;;
        --cache-dir) CACHE=${2:?}; shift ;;
        --pause) PAUSE=${2:?}; shift ;;
        -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_reopen: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "bench_reopen: $*" >&2; }
source "$ROOT/tools/bench_lib.sh"
bench_install jq:jq /usr/bin/time:time
if [ -z "$TV" ] || [ -z "$TRACE" ]; then
    bench_build "$DIR/reopen-cmake.log"
    [ -n "$TV" ] || TV="$BUILD/traceview"
fi
[ -n "$TRACE" ] || TRACE=$(bench_trace llvm "$SIZE" "$SEED")
WORK="$CACHE/work"
mkdir -p "$WORK"
BINS=(new)
declare -A BIN=([new]="$TV")
if [ -n "$OLD" ]; then BINS=(old new); BIN[old]="$OLD"; fi

log "$(basename "$TRACE"): warming the page cache"
cat "$TRACE" >/dev/null
for b in "${BINS[@]}"; do
    rm -rf "${CACHE:?}/$b"; mkdir -p "$CACHE/$b"
    log "$b: traceview index ($(basename "${BIN[$b]}"))"
    "${BIN[$b]}" index "$TRACE" --cache-dir "$CACHE/$b" --quiet >&2
    ls -l "$CACHE/$b"/*.tvidx | awk '{ print $5 }' >"$WORK/$b.bytes"
done

# One serve until ready: prints "wall_s cpu_s" (the server's user + sys then).
serve_ready() {
    python3 - "$1" "$TRACE" "$2" <<'PY'
import http.client, json, os, signal, socket, subprocess, sys, time
tv, trace, cache = sys.argv[1:4]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
t0 = time.monotonic()
p = subprocess.Popen([tv, "serve", trace, "--port", str(port), "--quiet", "--cache-dir", cache],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ready = None
try:
    while time.monotonic() - t0 < 300 and p.poll() is None:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/traces")
            traces = json.loads(c.getresponse().read())["traces"]
            c.close()
            if traces and traces[0]["state"] == "ready":
                ready = time.monotonic() - t0
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.005)
    with open("/proc/%d/stat" % p.pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
finally:
    p.send_signal(signal.SIGINT)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
print("%.3f %.3f" % (ready if ready is not None else -1, cpu))
PY
}

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= RUNS; r++)); do
    for b in "${BINS[@]}"; do
        sleep "$PAUSE"
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" \
            "${BIN[$b]}" info "$TRACE" --json --quiet --cache-dir "$CACHE/$b" >"$WORK/info.json"
        read -r wall user sys rss <"$WORK/time.txt"
        load=$(jq -r '.cache.load_seconds' "$WORK/info.json")
        [ "$(jq -r '.cache.hit' "$WORK/info.json")" = true ] || { log "$b: info missed the cache"; exit 1; }
        echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $load $rss" >>"$WORK/$b.info"
        sleep "$PAUSE"
        serve_ready "${BIN[$b]}" "$CACHE/$b" >>"$WORK/$b.serve"
        log "run $r $b: info wall ${wall}s cpu $(tail -1 "$WORK/$b.info" | cut -d' ' -f2)s load ${load}s; serve ready/cpu $(tail -1 "$WORK/$b.serve")"
    done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# median and best (smallest) of column COL of FILE
stat() { sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { printf "%.3f / %.3f", v[int((NR + 1) / 2)], v[1] }'; }
echo "bench_reopen: $(basename "$TRACE"), $RUNS runs each, $(nproc) cores, load average $LOAD0 before, $LOAD1 after; median / best"
echo
echo "| binary | cache file MB | info wall s | info CPU s | info load_seconds | info peak RSS MiB | serve ready s | server CPU at ready s |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
for b in "${BINS[@]}"; do
    echo "| $b | $(awk '{ printf "%.0f", $1 / 1e6 }' "$WORK/$b.bytes") | $(stat "$WORK/$b.info" 1) | $(stat "$WORK/$b.info" 2) | $(stat "$WORK/$b.info" 3) | $(sort -n "$WORK/$b.info" | awk '{ printf "%.0f\n", $4 / 1024 }' | sort -n | tail -1) | $(stat "$WORK/$b.serve" 1) | $(stat "$WORK/$b.serve" 2) |"
    rm -f "$WORK/$b.info" "$WORK/$b.serve"
done
