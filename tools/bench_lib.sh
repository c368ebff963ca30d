# shellcheck shell=bash
# bench_lib.sh: shared by the benchmark scripts (sourced, not run). Needs ROOT,
# BUILD, DIR and a log() function from the caller.

# Installs the Debian packages a benchmark needs when their commands are missing.
#   bench_install CMD:PACKAGE...
bench_install() {
    local need=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "${pair%%:*}" ] || need+=("${pair#*:}")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    log "installing ${need[*]}"
    local SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
}

# Builds traceview and gen_trace in Release (the numbers users see); LOG gets the output.
bench_build() {
    local logfile="$1"
    mkdir -p "$DIR"
    log "building traceview and gen_trace (Release) in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$logfile" 2>&1 ||
        { cat "$logfile" >&2; exit 1; }
    cmake --build "$BUILD" -j "$(nproc)" --target traceview gen_trace >>"$logfile" 2>&1 ||
        { tail -40 "$logfile" >&2; exit 1; }
}

# Prints the path of a generated trace (SHAPE SIZE SEED [THREADS]), generating
# it when missing. Names carry the generator's source hash, so a changed
# generator never reuses stale files (older ones are removed). THREADS is
# gen_trace's --threads (codegen units for llvm, worker scale for chromium);
# empty means the generator's default and keeps the old file names.
bench_trace() {
    local shape="$1" size="$2" seed="$3" threads="${4:-}" rev f old tag="" targs=()
    if [ -n "$threads" ]; then tag="-t$threads"; targs=(--threads "$threads"); fi
    rev=$(sha1sum "$ROOT/tools/gen_trace.c" | cut -c1-8)
    f="$DIR/$shape-$size$tag-seed$seed-$rev.json"
    for old in "$DIR/$shape-$size$tag-seed$seed-"*.json; do
        if [ -e "$old" ] && [ "$old" != "$f" ]; then
            log "removing stale $old"; rm -f "$old"
        fi
    done
    if [ -s "$f" ]; then
        log "reusing $f"
    else
        log "generating $f"
        "$BUILD/gen_trace" --shape "$shape" --size "$size" --seed "$seed" "${targs[@]}" -o "$f.tmp" >&2
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# --- time and numbers
now_ns() { date +%s%N; }
# Seconds since a now_ns stamp, 3 decimals.
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# The smaller of two numbers; an empty first one loses.
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
# printf FORMAT of a number, "-" for empty or "-".
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "" || v == "-") print "-"; else printf f, v }'; }

# --- CPU accounting: the machine is shared (builds, tests and fuzzers of
# other sessions); the scripts print what other processes used during a
# measurement, so a noisy run can be told from a slow program.
CLK_TCK=$(getconf CLK_TCK)
# Busy ticks of the whole machine since boot.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# CPU ticks (user + system) of process PID.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Cores used: TICKS over NS nanoseconds.
cores() { awk -v t="$1" -v ns="$2" -v hz="$CLK_TCK" 'BEGIN { v = ns > 0 ? t / hz / (ns / 1e9) : 0; printf "%.2f", (v > 0 ? v : 0) }'; }
# CPU ticks of the calling shell's finished children (a client, wrk): `times`
# must run in that shell, not in a $(...) subshell. Sets KT; needs WORK.
child_ticks() {
    times >"$WORK/times.txt"
    KT=$(awk -v t="$CLK_TCK" 'NR == 2 {
        s = 0
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
        printf "%d", s * t }' "$WORK/times.txt")
}
# Waits (at most TV_BENCH_QUIET_WAIT s, default 60) until other processes
# use less than a quarter of a core over one second; goes on anyway after.
wait_quiet() {
    local deadline=$(( $(date +%s) + ${TV_BENCH_QUIET_WAIT:-60} )) m0 m1 busy
    while :; do
        m0=$(machine_ticks); sleep 1; m1=$(machine_ticks)
        busy=$(awk -v d="$((m1 - m0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz }')
        if awk -v b="$busy" 'BEGIN { exit !(b < 0.25) }'; then return 0; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "other processes still use $busy cores; measuring anyway"
            return 0
        fi
        log "other processes use $busy cores; waiting for a quieter machine"
        sleep 4
    done
}

# --- traceview info: indexing speed and memory.
#   bench_info FILE THREADS RUNS OUT.json
# Runs `TRACEVIEW_THREADS=THREADS traceview info FILE --json --quiet` RUNS
# times under tools/bench_mem.py and writes one JSON object to OUT: the best
# run's `traceview info --json` output as .info (best = smallest
# index.seconds, the indexer's own clock; TV_INFO_ARGS: more arguments, e.g.
# --no-cache), the best wall time of the whole
# process (.wall_s), and the largest memory figures over the runs (.mem:
# vmhwm_kib, rss_anon_kib, rss_file_kib; see bench_mem.py). Needs TV, WORK.
bench_info() {
    local f="$1" threads="$2" runs="$3" out="$4" i idx
    local best="" runs_json="[]"
    for ((i = 1; i <= runs; i++)); do
        if ! TRACEVIEW_THREADS="$threads" python3 "$ROOT/tools/bench_mem.py" --out "$WORK/mem.json" \
            --stdout "$WORK/info.json" -- "$TV" info "$f" --json --quiet ${TV_INFO_ARGS:-} 2>"$WORK/info.err"; then
            log "traceview info failed on $f:"; cat "$WORK/info.err" >&2; exit 1
        fi
        idx=$(jq -r '.index.seconds' "$WORK/info.json")
        log "  info, $threads thread(s), run $i: index ${idx}s, $(jq -r '"wall \(.wall_s*1000|round/1000)s, other processes \(.other_cores*100|round/100) cores, VmHWM \(.vmhwm_kib) KiB, RssAnon \(.rss_anon_kib) KiB"' "$WORK/mem.json")"
        runs_json=$(jq -c --slurpfile m "$WORK/mem.json" --slurpfile i "$WORK/info.json" \
            '. + [{index_s: $i[0].index.seconds, mem: $m[0]}]' <<<"$runs_json")
        if [ -z "$best" ] || awk -v a="$idx" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$idx
            cp "$WORK/info.json" "$WORK/info-best.json"
        fi
    done
    jq -n --argjson threads "$threads" --argjson runs "$runs_json" --slurpfile info "$WORK/info-best.json" '{
        threads: $threads, info: $info[0], runs: $runs,
        wall_s: ([$runs[].mem.wall_s] | min),
        other_cores: ([$runs[].mem.other_cores] | add / length),
        mem: {vmhwm_kib: ([$runs[].mem.vmhwm_kib] | max), rss_anon_kib: ([$runs[].mem.rss_anon_kib] | max),
              rss_file_kib: ([$runs[].mem.rss_file_kib] | max)}}' >"$out"
}

# --- the baseline users have today: jq, one run each (minutes and GiB of RAM
# on big files).
#   bench_jq FILE SHAPE OUT.json
# .length: `jq '.traceEvents|length'` (wall s, peak RSS KiB);
# .group_by: the blog's question (LLVM: total duration of OptFunction per
# args.detail, top 10; chromium: total duration of X slices per name).
# A failed run (out of memory, usually) gives "failed". Needs WORK.
JQ_GROUP_LLVM='[.traceEvents[] | select(.name=="OptFunction")] | group_by(.args.detail) | map({detail: .[0].args.detail, total: (map(.dur)|add)}) | sort_by(-.total) | .[:10]'
JQ_GROUP_CHROMIUM='[.traceEvents[] | select(.ph=="X")] | group_by(.name) | map({name: .[0].name, total: (map(.dur)|add)}) | sort_by(-.total) | .[:10]'
bench_jq() {
    local f="$1" shape="$2" out="$3" q len='"failed"' len_kib=null grp='"failed"'
    q=$JQ_GROUP_LLVM
    [ "$shape" = chromium ] && q=$JQ_GROUP_CHROMIUM
    log "  jq '.traceEvents|length' (one run)"
    if python3 "$ROOT/tools/bench_mem.py" --interval 0.1 --out "$WORK/jq-mem.json" -- \
        jq '.traceEvents|length' "$f" 2>"$WORK/jq.err"; then
        len=$(jq .wall_s "$WORK/jq-mem.json"); len_kib=$(jq .vmhwm_kib "$WORK/jq-mem.json")
    else
        log "  jq failed: $(tail -1 "$WORK/jq.err")"
    fi
    log "  jq group-by (one run)"
    if python3 "$ROOT/tools/bench_mem.py" --interval 0.1 --out "$WORK/jq-mem.json" -- \
        jq "$q" "$f" 2>"$WORK/jq.err"; then
        grp=$(jq .wall_s "$WORK/jq-mem.json")
    else
        log "  jq failed: $(tail -1 "$WORK/jq.err")"
    fi
    log "  jq: length ${len}s, group-by ${grp}s"
    jq -n --argjson len "$len" --argjson kib "$len_kib" --argjson grp "$grp" --arg q "$q" \
        '{length_s: $len, length_vmhwm_kib: $kib, group_by_s: $grp, group_by_query: $q}' >"$out"
}

# --- the same question answered by traceview (indexing included): best wall
# time of RUNS runs of `traceview summary`.
#   bench_summary FILE SHAPE RUNS -> prints seconds. Needs TV.
bench_summary() {
    local f="$1" shape="$2" runs="$3" i t0 best="" args
    args=(--filter '^OptFunction$' --group-by detail --top 10)
    [ "$shape" = chromium ] && args=(--group-by name --top 10)
    for ((i = 1; i <= runs; i++)); do
        t0=$(now_ns)
        # shellcheck disable=SC2086 # TV_INFO_ARGS: e.g. --no-cache (indexing included)
        "$TV" summary "$f" "${args[@]}" --quiet ${TV_INFO_ARGS:-} >/dev/null
        best=$(min "$best" "$(secs_since "$t0")")
    done
    echo "$best"
}
