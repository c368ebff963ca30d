#!/usr/bin/env python3
"""bench_tiles.py: the HTTP client half of tools/bench_serve.sh.

    bench_tiles.py measure --port P --pid PID --t0-ns NS --dir DIR
                           [--serve-out FILE] [--tiles N] [--seed S] [--timeout S]
    bench_tiles.py table --results FILE --wrk FILE [--wrk-runs LIST]
                         [--server-cpu-s S --wrk-s S --wrk-cores C]
                         [--rss-anon-kib K] [--hwm-kib K]

`measure` talks to a `traceview serve` that bench_serve.sh started at
CLOCK_REALTIME `--t0-ns` on port `--port` (process `--pid`) and writes
DIR/serve-results.json and DIR/serve-urls.txt (the tile paths for wrk):
  1. start-up: polls /api/traces every 5 ms until the trace is `ready`, then
     GETs /meta and one tile (the busiest thread's whole-trace tile), as the
     viewer does; both times are from serve start.
  2. tiles: on the thread track with the most slices, at five levels (the
     top level meta.max_level, then evenly down to level 10, a ~1 us bucket),
     N requests per level (default 200) over N distinct tiles with random
     indices inside the track's busy span (or all its tiles, repeated, when it
     has fewer), sequentially on one keep-alive connection; client-side
     latency with time.perf_counter from request to the last body byte.
  3. /meta, /overview and /event (random slices of that track): 100 each.
`table` prints the markdown table (one row per measurement) from those
results and wrk's `--latency` output.

Python standard library only. Every request has a 10 s timeout; every loop
is bounded in count; start-up polling is bounded by --timeout.
"""
import argparse
import http.client
import json
import math
import os
import random
import re
import sys
import time

BUCKETS = 256
REQ_TIMEOUT_S = 10.0
FINE_LEVEL = 10          # bucket 1024 ns: about 1 us
TILE_P99_TARGET_MS = 20.0
RPS_TARGET = 5000.0
READY_TARGET_S = 0.7     # for the brief's 1.4 GB, 7.3 M-event trace
READY_TARGET_EVENTS = 7.3e6
MEM_TARGET_BPE = 32.0


def log(msg):
    print(f"bench_serve: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(msg)
    sys.exit(1)


class Client:
    """One keep-alive connection; reconnects (and counts it) after an error."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.reconnects = 0

    def get(self, path):
        """(status, body, seconds); status 0 on a connection error."""
        t = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQ_TIMEOUT_S)
            self.conn.request("GET", path)
            r = self.conn.getresponse()
            body = r.read()
            dt = time.perf_counter() - t
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, body, dt
        except (OSError, http.client.HTTPException):
            self.close()
            self.reconnects += 1
            return 0, b"", time.perf_counter() - t

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return None
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[min(k, len(sorted_vals)) - 1]


def lat_stats(secs):
    v = sorted(s * 1000.0 for s in secs)
    return {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99), "max_ms": v[-1] if v else None}


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def announced_port(serve_out):
    try:
        with open(serve_out) as f:
            m = re.search(r"serving \d+ traces? at http://[^/]*:(\d+)/", f.read())
            return int(m.group(1)) if m else None
    except OSError:
        return None


def tile_items(t):
    return (len(t.get("slices", {}).get("id", [])) + len(t.get("summaries", {}).get("bucket", []))
            + len(t.get("instants", {}).get("bucket", [])))


def measure(a):
    rnd = random.Random(a.seed)
    port = a.port
    t0 = a.t0_ns
    deadline = time.time() + a.timeout
    res = {"port": port}

    # ---- 1. start-up: ready, then /meta and one tile
    c = Client(port)
    polls = 0
    trace = None
    while True:
        if time.time() > deadline:
            die(f"the trace was not ready after {a.timeout} s")
        if not alive(a.pid):
            die("traceview serve exited before the trace was ready (see serve.err)")
        polls += 1
        st, body, _ = c.get("/api/traces")
        if st == 200:
            tr = json.loads(body)["traces"][0]
            if tr["state"] == "ready":
                ready_ns = time.time_ns()
                trace = tr
                break
            if tr["state"] == "error":
                die(f"traceview could not index the trace: {tr['error']}")
        elif st == 0:
            # Port taken between our probe and the server's bind: it picks
            # another one and prints it when ready.
            p2 = announced_port(a.serve_out) if a.serve_out else None
            if p2 and p2 != port:
                log(f"the server moved to port {p2}")
                port = res["port"] = p2
                c = Client(port)
                continue
        time.sleep(0.005)
    # The announcement ("serving 1 trace at http://..."), printed when the
    # trace is ready: when a user sees the URL. Polled for at most 5 s.
    url_ns = None
    if a.serve_out:
        until = time.time() + 5.0
        while url_ns is None and time.time() < until:
            if announced_port(a.serve_out):
                url_ns = time.time_ns()
            else:
                time.sleep(0.001)
    tid = trace["id"]
    base = f"/api/traces/{tid}"
    st, body, _ = c.get(f"{base}/meta")
    if st != 200:
        die(f"/meta answered {st}")
    meta = json.loads(body)
    threads = [t for p in meta["processes"] for t in p["tracks"] if t["kind"] == "thread"]
    if not threads:
        die("the trace has no thread tracks")
    track = max(threads, key=lambda t: (t["slices"], -t["track"]))
    top = meta["max_level"]
    whole = max(0, top - 8)  # one tile of 256 buckets covers the whole trace
    st, body, _ = c.get(f"{base}/tile?track={track['track']}&level={whole}&index=0")
    first_tile_ns = time.time_ns()
    if st != 200:
        die(f"the first tile answered {st}")
    res["startup"] = {"ready_s": (ready_ns - t0) / 1e9, "first_tile_s": (first_tile_ns - t0) / 1e9,
                      "url_s": None if url_ns is None else (url_ns - t0) / 1e9, "polls": polls}
    counts = meta["counts"]
    res["trace"] = {"id": tid, "name": trace["name"], "bytes": trace["bytes"],
                    "duration_ns": meta["duration_ns"], "max_level": top,
                    "events": counts["slices"] + counts["instants"] + counts["counter_samples"]
                              + counts["llvm_totals"],
                    "slices": counts["slices"],
                    "track": track["track"], "track_name": track.get("name"),
                    "track_slices": track["slices"], "track_max_depth": track["max_depth"],
                    "n_tracks": len(threads)}
    log(f"ready after {res['startup']['ready_s']:.3f} s, first tile after "
        f"{res['startup']['first_tile_s']:.3f} s; track {track['track']} ({track.get('name')}, "
        f"{track['slices']} slices), max_level {top}")

    # The track's busy span, from its whole-trace tile: tiles outside it are
    # empty and cost nothing, so the samples stay where the slices are.
    t = json.loads(body)
    bw = t["bucket_ns"]
    lo, hi = [], []
    for s, d in zip(t["slices"]["start"], t["slices"]["dur"]):
        lo.append(s)
        hi.append(s + d)
    for b in t["summaries"]["bucket"]:
        lo.append(b * bw)
        hi.append((b + 1) * bw)
    dur = meta["duration_ns"]
    span_lo = max(0, min(lo)) if lo else 0
    span_hi = min(dur, max(hi)) if hi else dur
    res["trace"]["track_span_ns"] = [span_lo, span_hi]

    # ---- 2. tile latency at five levels
    levels = sorted({round(top - k * (top - FINE_LEVEL) / 4.0) for k in range(5)}, reverse=True)
    if top < FINE_LEVEL:
        levels = sorted(set(range(top, -1, -max(1, top // 4))), reverse=True)[:5]
    res["levels"] = []
    all_paths = []
    for L in levels:
        tile_ns = BUCKETS << L
        first = span_lo // tile_ns
        last = min(max(span_hi - 1, span_lo), dur) // tile_ns
        n_tiles = last - first + 1
        if n_tiles <= a.tiles:
            distinct = list(range(first, last + 1))
        else:
            distinct = rnd.sample(range(first, last + 1), a.tiles)
        order = [distinct[i % len(distinct)] for i in range(max(a.tiles, len(distinct)))]
        rnd.shuffle(order)
        c = Client(port)
        secs, bad, nonempty, max_bytes, max_items = [], 0, set(), 0, 0
        for idx in order:
            path = f"{base}/tile?track={track['track']}&level={L}&index={idx}"
            st, body, dt = c.get(path)
            if st != 200:
                bad += 1
                continue
            secs.append(dt)
            all_paths.append(path)
            max_bytes = max(max_bytes, len(body))
            items = tile_items(json.loads(body))
            max_items = max(max_items, items)
            if items:
                nonempty.add(idx)
        c.close()
        lv = {"level": L, "bucket_ns": 1 << L, "tiles_in_span": n_tiles, "distinct": len(distinct),
              "requests": len(order), "errors": bad, "reconnects": c.reconnects,
              "nonempty": len(nonempty), "max_bytes": max_bytes, "max_items": max_items,
              "secs": secs}
        lv.update(lat_stats(secs))
        res["levels"].append(lv)
        log(f"level {L}: {len(order)} requests over {len(distinct)} tiles "
            f"({len(nonempty)} non-empty), p50 {lv['p50_ms']:.2f} ms, p99 {lv['p99_ms']:.2f} ms, "
            f"max {lv['max_ms']:.2f} ms, largest {max_bytes} B / {max_items} items"
            + (f", {bad} errors" if bad else ""))
    rnd.shuffle(all_paths)
    with open(os.path.join(a.dir, "serve-urls.txt"), "w") as f:
        f.write("".join(p + "\n" for p in all_paths))

    # ---- 3. the other endpoints
    res["endpoints"] = {}
    ids = [rnd.randrange(track["slices"]) for _ in range(100)]
    for name, paths in (("meta", [f"{base}/meta"] * 100),
                        ("overview", [f"{base}/overview"] * 100),
                        ("event", [f"{base}/event?track={track['track']}&id={i}" for i in ids])):
        c = Client(port)
        secs, bad, max_bytes = [], 0, 0
        for p in paths:
            st, body, dt = c.get(p)
            if st != 200:
                bad += 1
                continue
            secs.append(dt)
            max_bytes = max(max_bytes, len(body))
        c.close()
        e = {"errors": bad, "max_bytes": max_bytes}
        e.update(lat_stats(secs))
        res["endpoints"][name] = e
        log(f"/{name}: p50 {e['p50_ms']:.2f} ms, p99 {e['p99_ms']:.2f} ms, {max_bytes} B"
            + (f", {bad} errors" if bad else ""))

    with open(os.path.join(a.dir, "serve-results.json"), "w") as f:
        json.dump(res, f)


# ---- wrk output
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None


def parse_wrk(text):
    w = {"rps": None, "requests": None, "non2xx": 0, "socket_errors": {}, "p50_ms": None,
         "p99_ms": None, "max_ms": None}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        w["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in ([\d.]+\w+)", text):
        w["requests"] = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        w["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        w["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    for p, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^[ \t]+{p}%[ \t]+(\S+)", text, re.M):
            w[key] = ms(m.group(1))
    if m := re.search(r"^[ \t]+Latency[ \t]+\S+[ \t]+\S+[ \t]+(\S+)", text, re.M):
        w["max_ms"] = ms(m.group(1))
    return w


def f3(v, fmt="{:.2f}"):
    return "-" if v is None else fmt.format(v)


def verdict(ratio, higher_is_better):
    if ratio is None:
        return "-"
    ok = ratio >= 1.0 if higher_is_better else ratio <= 1.0
    if ok:
        return f"{ratio:.2f} (met)"
    short = (1.0 / ratio) if higher_is_better else ratio
    return f"{ratio:.2f} (**missed**, {short:.1f}x off)"


def table(a):
    with open(a.results) as f:
        res = json.load(f)
    with open(a.wrk) as f:
        w = parse_wrk(f.read())
    tr = res["trace"]
    rows = []

    def row(what, measured, st=None, mb=None, mi=None, target="-", ratio="-"):
        st = st or {}
        rows.append(f"| {what} | {measured} | {f3(st.get('p50_ms'))} | {f3(st.get('p99_ms'))} | "
                    f"{f3(st.get('max_ms'))} | {'-' if mb is None else mb} | "
                    f"{'-' if mi is None else mi} | {target} | {ratio} |")

    su = res["startup"]
    ready_target = READY_TARGET_S * tr["events"] / READY_TARGET_EVENTS
    row("ready", f"{su['ready_s']:.3f} s from `serve` start to `state: ready` in /api/traces",
        target=f"<= 0.7 s at 7.3 M events; {ready_target:.2f} s scaled to {tr['events'] / 1e6:.2f} M",
        ratio=verdict(su["ready_s"] / ready_target, False))
    row("first tile", f"{su['first_tile_s']:.3f} s from `serve` start (ready, then /meta, then the "
        f"whole-trace tile: +{(su['first_tile_s'] - su['ready_s']) * 1000:.1f} ms)")
    worst = None
    all_secs = []
    for lv in res["levels"]:
        bucket = lv["bucket_ns"]
        bucket_txt = (f"{bucket / 1e9:.3g} s" if bucket >= 1e8 else f"{bucket / 1e6:.3g} ms"
                      if bucket >= 1e5 else f"{bucket / 1e3:.3g} us")
        errs = f", **{lv['errors']} errors**" if lv["errors"] else ""
        row(f"tile level {lv['level']} (bucket {bucket_txt})",
            f"{lv['requests']} requests over {lv['distinct']} of {lv['tiles_in_span']} tiles, "
            f"{lv['nonempty']} non-empty{errs}", lv, lv["max_bytes"], lv["max_items"],
            "p99 <= 20 ms", verdict(lv["p99_ms"] / TILE_P99_TARGET_MS, False))
        if worst is None or lv["p99_ms"] > worst["p99_ms"]:
            worst = lv
        all_secs += lv["secs"]
    st = lat_stats(all_secs)
    row("tile, all five levels", f"{st['n']} requests; worst level p99: level {worst['level']}",
        st, max(lv["max_bytes"] for lv in res["levels"]), max(lv["max_items"] for lv in res["levels"]),
        "p99 <= 20 ms at any zoom", verdict(worst["p99_ms"] / TILE_P99_TARGET_MS, False))
    sock = sum(w["socket_errors"].values())
    errs = w["non2xx"] + sock
    cpu = ""
    if a.server_cpu_s is not None and a.wrk_s:
        cpu = f"; server used {a.server_cpu_s / a.wrk_s:.2f} of {os.cpu_count()} cores"
        if a.wrk_cores is not None:
            cpu += f", wrk {a.wrk_cores:.2f}"
    sock_txt = ", ".join(f"{k} {v}" for k, v in w["socket_errors"].items() if v) or "0"
    runs = f"; best of {a.wrk_runs.count(',') + 1} runs: {a.wrk_runs} req/s" if a.wrk_runs and "," in a.wrk_runs else ""
    rps_ratio = w["rps"] / RPS_TARGET if w["rps"] is not None else None
    rps_verdict = verdict(rps_ratio, True)
    if errs and rps_ratio is not None:
        rps_verdict += f"; **{errs} errors**"
    row("throughput (wrk)",
        f"{f3(w['rps'], '{:,.0f}')} req/s ({w['requests']} requests; 32 connections, 2 threads, "
        f"{a.wrk_duration}, mixed levels{runs}); non-2xx {w['non2xx']}, socket errors {sock_txt}{cpu}",
        w, target=">= 5,000 req/s, 0 errors", ratio=rps_verdict)
    for name, desc in (("meta", "/meta"), ("overview", "/overview (1000 buckets)"),
                       ("event", "/event (random slices of the track, args parsed from the file)")):
        e = res["endpoints"][name]
        errs = f", **{e['errors']} errors**" if e["errors"] else ""
        row(desc, f"{e['n']} requests, {e['max_bytes']} B{errs}", e)
    if a.rss_anon_kib is not None:
        bpe = a.rss_anon_kib * 1024.0 / max(1, tr["events"])
        row("server memory", f"RssAnon {a.rss_anon_kib / 1024:.1f} MiB after the load "
            f"(peak RSS {a.hwm_kib / 1024:.1f} MiB incl. the mapped file) = {bpe:.1f} B/event",
            target="<= 32 B/event beyond the mapping", ratio=verdict(bpe / MEM_TARGET_BPE, False))
    print(f"Trace {tr['name']}: {tr['bytes']} bytes, {tr['events']} events, duration "
          f"{tr['duration_ns'] / 1e9:.3f} s, max_level {tr['max_level']}; tiles of track "
          f"{tr['track']} ({tr['track_name']}, {tr['track_slices']} slices, depth "
          f"{tr['track_max_depth']}, busiest of {tr['n_tracks']} threads), sampled inside its "
          f"busy span {tr['track_span_ns'][0] / 1e9:.3f}..{tr['track_span_ns'][1] / 1e9:.3f} s.")
    print()
    print("| what | measured | p50 ms | p99 ms | max ms | max tile bytes | max tile items | target | measured / target |")
    print("|---|---|--:|--:|--:|--:|--:|---|---|")
    print("\n".join(rows))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--pid", type=int, required=True)
    m.add_argument("--t0-ns", type=int, required=True)
    m.add_argument("--dir", required=True)
    m.add_argument("--serve-out")
    m.add_argument("--tiles", type=int, default=200)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--timeout", type=float, default=300.0)
    t = sub.add_parser("table")
    t.add_argument("--results", required=True)
    t.add_argument("--wrk", required=True)
    t.add_argument("--wrk-duration", default="10s")
    t.add_argument("--server-cpu-s", type=float)
    t.add_argument("--wrk-s", type=float)
    t.add_argument("--wrk-cores", type=float)
    t.add_argument("--wrk-runs", help="req/s of every wrk run, for the record")
    t.add_argument("--rss-anon-kib", type=float)
    t.add_argument("--hwm-kib", type=float)
    a = ap.parse_args()
    if a.cmd == "measure":
        measure(a)
    else:
        table(a)


if __name__ == "__main__":
    main()
