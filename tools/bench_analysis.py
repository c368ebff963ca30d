#!/usr/bin/env python3
"""Analysis latency benchmark (not a test): serves a trace and times the
flame graph, statistics and search endpoints over the whole trace and over a
10% range, p50/p99 over repeated requests on one keep-alive connection.

    tools/bench_analysis.py TRACEVIEW TRACE [--runs N]
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
        print("| request | p50 ms | p99 ms | max ms | bytes |")
        print("|---|--:|--:|--:|--:|")
        for label, q in cases:
            times, size = [], 0
            for _ in range(a.runs):
                dt, body = get("/api/traces/%s/%s" % (tid, q))
                times.append(dt * 1000)
                size = len(body)
            print("| %s | %.1f | %.1f | %.1f | %d |" % (label, percentile(times, 50),
                                                    percentile(times, 99), max(times), size))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
