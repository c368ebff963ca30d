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

# Prints the path of a generated trace (SHAPE SIZE SEED), generating it when
# missing. Names carry the generator's source hash, so a changed generator
# never reuses stale files (older ones are removed).
bench_trace() {
    local shape="$1" size="$2" seed="$3" rev f old
    rev=$(sha1sum "$ROOT/tools/gen_trace.c" | cut -c1-8)
    f="$DIR/$shape-$size-seed$seed-$rev.json"
    for old in "$DIR/$shape-$size-seed$seed-"*.json; do
        if [ -e "$old" ] && [ "$old" != "$f" ]; then
            log "removing stale $old"; rm -f "$old"
        fi
    done
    if [ -s "$f" ]; then
        log "reusing $f"
    else
        log "generating $f"
        "$BUILD/gen_trace" --shape "$shape" --size "$size" --seed "$seed" -o "$f.tmp" >&2
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
