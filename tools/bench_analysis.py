#!/usr/bin/env python3
"""Analysis latency benchmark (not a test): serves a trace and times the
flame graph, statistics and search endpoints over the whole trace and over a
10% range, p50/p99 over repeated requests on one keep-alive connection.

    tools/bench_analysis.py TRACEVIEW TRACE [--runs N] [--json FILE]

"first" is the first request of its kind right after the trace is ready
(the whole-trace flame graph may still be building in the background: the
request waits for it); "cached" is the median of the following requests.
--json FILE also writes the figures as JSON (tools/bench.sh).
"""
import argparse, http.client, json, re, statistics, subprocess, sys, time, urllib.parse


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("traceview")
    ap.add_argument("trace")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()
    t_start = time.perf_counter()
    proc = subprocess.Popen([a.traceview, "serve", a.trace, "--port", "0", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            sys.exit("no URL from traceview: %r" % line)
        ready = time.perf_counter() - t_start
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=60)

        def get(path):
            t0 = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            dt = time.perf_counter() - t0
            if r.status != 200:
                sys.exit("%s -> %d %s" % (path, r.status, body[:200]))
            return dt, body

        _, body = get("/api/traces")
        tid = json.loads(body)["traces"][0]["id"]
        _, body = get("/api/traces/%s/meta" % tid)
        meta = json.loads(body)
        dur = meta["duration_ns"]
        r10 = "&start=%d&end=%d" % (dur * 45 // 100, dur * 55 // 100)
        cases = [
            ("flame graph, whole trace", "flamegraph?x=1"),
            ("flame graph, 10% range", "flamegraph?x=1" + r10),
            ("statistics by detail, whole trace", "stats?group_by=detail"),
            ("statistics by detail, 10% range", "stats?group_by=detail" + r10),
            ("statistics by crate, whole trace", "stats?group_by=crate"),
            ("search substring", "search?q=" + urllib.parse.quote("drop_in_place")),
            ("search regex", "search?regex=1&q=" + urllib.parse.quote("^Opt(Function|Module)$")),
        ]
        print("trace %s: %s slices, ready in %.2f s" % (a.trace, meta["counts"]["slices"], ready))
        print("| request | first ms | cached p50 ms | p50 ms | p99 ms | max ms | bytes |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        out = {"trace": a.trace, "slices": meta["counts"]["slices"], "ready_s": ready, "runs": a.runs,
               "cases": []}
        for label, q in cases:
            times, size = [], 0
            for _ in range(a.runs):
                dt, body = get("/api/traces/%s/%s" % (tid, q))
                times.append(dt * 1000)
                size = len(body)
            rest = times[1:] or times
            c = {"label": label, "query": q, "first_ms": times[0], "cached_p50_ms": statistics.median(rest),
                 "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "max_ms": max(times),
                 "bytes": size}
            out["cases"].append(c)
            print("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %d |" % (
                label, c["first_ms"], c["cached_p50_ms"], c["p50_ms"], c["p99_ms"], c["max_ms"], size))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(out, f)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
