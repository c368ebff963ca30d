#!/usr/bin/env python3
"""Load and slow clients: `traceview serve` on a generated trace answers a
mixed API load from many concurrent clients while hundreds of slow clients
hold connections open dribbling header bytes (slow loris), with no errors;
then SIGTERM stops it cleanly (exit 0). Loopback only, bounded in time.

    test_load.py TRACEVIEW GEN_TRACE [--duration S] [--clients N] [--slow N]
                 [--size SIZE] [--workdir DIR]

Prints requests, errors and latency percentiles per endpoint. Fails on any
error, on slow clients that did not stay connected, or when normal requests
stall (p99 above --max-p99).
"""
import argparse, http.client, json, os, random, re, signal, socket, subprocess, sys
import tempfile, threading, time


def percentile(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def start_server(tv, trace):
    p = subprocess.Popen([tv, "serve", trace, "--port", "0", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m and "serving" in line:
            return p, int(m.group(1))
    p.kill()
    sys.exit("the server did not start: %s" % p.stderr.read())


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def plan_requests(port, tid):
    """A pool of realistic request paths: tiles at several levels, meta,
    overview, event details, search, stats and flame graphs over ranges."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    meta = json.loads(get(c, "/api/traces/%s/meta" % tid)[1])
    base = "/api/traces/%s/" % tid
    tracks = [t for p in meta["processes"] for t in p["tracks"]]
    threads = [t for t in tracks if t["kind"] == "thread" and t["slices"] > 0]
    span = meta["duration_ns"]
    top = meta["max_level"]
    paths = {"tile": [], "event": [], "meta": [base + "meta", base + "overview?buckets=800"],
             "search": [], "stats": [], "flamegraph": []}
    rnd = random.Random(7)
    for t in threads[:12]:
        for level in (top, max(0, top - 4), max(0, top - 8), max(0, top - 12)):
            n_tiles = max(1, (span >> level) // 256 + 1)
            for _ in range(4):
                paths["tile"].append(base + "tile?track=%d&level=%d&index=%d"
                                     % (t["track"], level, rnd.randrange(n_tiles)))
        tile = json.loads(get(c, base + "tile?track=%d&level=%d&index=0" % (t["track"], max(0, top - 6)))[1])
        for eid in (tile["slices"]["id"] + tile["summaries"]["longest"])[:20]:
            paths["event"].append(base + "event?track=%d&id=%d" % (t["track"], eid))
    for q in ("opt", "Pass", "core::", "memchr", "fmt.*write"):
        paths["search"].append(base + "search?q=%s&limit=50%s" % (q, "&regex=1" if "*" in q else ""))
    for k in range(6):
        a = rnd.randrange(span // 2)
        b = a + span // rnd.choice((4, 16, 64))
        paths["stats"].append(base + "stats?start=%d&end=%d&group_by=%s"
                              % (a, b, rnd.choice(("name", "detail", "crate", "thread"))))
        paths["flamegraph"].append(base + "flamegraph?start=%d&end=%d&view=%s"
                                   % (a, b, rnd.choice(("normal", "inverted"))))
    paths["stats"].append(base + "stats")
    paths["flamegraph"].append(base + "flamegraph")
    c.close()
    return paths


class SlowClients:
    """n connections that send a request line, then one header byte every
    `interval` seconds, never finishing (slow loris)."""

    def __init__(self, port, n, interval):
        self.port, self.n, self.interval = port, n, interval
        self.socks = []
        self.stop = threading.Event()
        self.alive_at_end = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        for _ in range(self.n):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /api/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.socks.append(s)
        payload = b"X-Slow: " + b"a" * 10000
        pos = 0
        while not self.stop.wait(self.interval):
            for s in list(self.socks):
                try:
                    s.send(payload[pos:pos + 1])
                except OSError:
                    self.socks.remove(s)
            pos += 1
        # Still connected? A closed socket reads EOF (or resets) at once.
        alive = 0
        for s in self.socks:
            s.setblocking(False)
            try:
                alive += s.recv(1) is None
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            s.close()
        self.alive_at_end = alive


def worker(port, paths, deadline, stats, lock, seed):
    rnd = random.Random(seed)
    kinds = ["tile"] * 10 + ["event"] * 4 + ["meta"] * 2 + ["search", "stats", "flamegraph"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    local = []
    while time.time() < deadline:
        kind = rnd.choice(kinds)
        path = rnd.choice(paths[kind])
        t0 = time.time()
        try:
            st, body = get(conn, path)
            ok = st == 200 and body[:1] == b"{"
            err = None if ok else "%d %s" % (st, body[:120])
        except Exception as e:  # a reset or timeout is an error too
            err = "%s: %s" % (type(e).__name__, e)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local.append((kind, time.time() - t0, err, path))
    conn.close()
    with lock:
        stats.extend(local)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("traceview")
    ap.add_argument("gen_trace")
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--slow-interval", type=float, default=3)
    ap.add_argument("--size", default="64M")
    ap.add_argument("--max-p99", type=float, default=10.0, help="seconds")
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()

    work = a.workdir or tempfile.mkdtemp(prefix="tv_load_")
    os.makedirs(work, exist_ok=True)
    trace = os.path.join(work, "load_%s.json" % a.size)
    if not os.path.exists(trace):
        subprocess.check_call([a.gen_trace, "--size", a.size, "--seed", "3", "-o", trace, "--quiet"])
    p, port = start_server(a.traceview, trace)
    failures = []
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        tid = json.loads(get(c, "/api/traces")[1])["traces"][0]["id"]
        c.close()
        paths = plan_requests(port, tid)

        slow = SlowClients(port, a.slow, a.slow_interval)
        slow.thread.start()
        time.sleep(1.0)  # let them connect first: the load runs beside them
        stats, lock = [], threading.Lock()
        deadline = time.time() + a.duration
        ws = [threading.Thread(target=worker, args=(port, paths, deadline, stats, lock, i))
              for i in range(a.clients)]
        t0 = time.time()
        for w in ws:
            w.start()
        for w in ws:
            w.join(a.duration + 120)
        elapsed = time.time() - t0
        slow.stop.set()
        slow.thread.join(30)

        errors = [s for s in stats if s[2]]
        lat = [s[1] for s in stats]
        print("load: %d clients, %.0f s, %d slow clients (%d still connected at the end)"
              % (a.clients, elapsed, a.slow, slow.alive_at_end))
        print("load: %d requests (%.0f/s), %d errors, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(stats), len(stats) / elapsed, len(errors), percentile(lat, 50) * 1e3,
                 percentile(lat, 99) * 1e3, max(lat or [0]) * 1e3))
        for kind in sorted(set(s[0] for s in stats)):
            k = [s[1] for s in stats if s[0] == kind]
            print("  %-10s %6d requests  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms"
                  % (kind, len(k), percentile(k, 50) * 1e3, percentile(k, 99) * 1e3, max(k) * 1e3))
        for e in errors[:10]:
            print("  error: %s %s -> %s" % (e[0], e[3], e[2]))
        if errors:
            failures.append("%d requests failed" % len(errors))
        if len(stats) < a.clients * 2:
            failures.append("too few requests completed (%d)" % len(stats))
        if percentile(lat, 99) > a.max_p99:
            failures.append("p99 %.1f s is above %.1f s" % (percentile(lat, 99), a.max_p99))
        if slow.alive_at_end < a.slow * 9 // 10:
            failures.append("only %d of %d slow clients stayed connected: the test did not "
                            "hold the connections it meant to" % (slow.alive_at_end, a.slow))
        # After the load a fresh client is served at once.
        t = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        st, _ = get(c, "/api/traces/%s/meta" % tid)
        c.close()
        if st != 200 or time.time() - t > 2:
            failures.append("a fresh request after the load: %d in %.1f s" % (st, time.time() - t))
    finally:
        # Graceful stop: SIGTERM, in-flight requests drain, exit 0.
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "hung"
        err = p.stderr.read()
        if rc != 0:
            failures.append("SIGTERM: exit %s, expected 0: %s" % (rc, err[-500:]))
        if "Sanitizer" in err or "runtime error" in err:
            failures.append("sanitizer report: %s" % err[-2000:])
        if not a.workdir:
            try:
                os.remove(trace)
                os.rmdir(work)
            except OSError:
                pass
    for f in failures:
        print("FAILED  " + f)
    print("ok" if not failures else "load test failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
