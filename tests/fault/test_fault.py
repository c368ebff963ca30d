#!/usr/bin/env python3
"""A trace that changes under the server (docs/api.md "Files that change").

    test_fault.py TRACEVIEW GEN_TRACE [--workdir DIR]

(a) without --watch: the file is truncated to half while clients read events
    and tiles: the server stays up, /event answers 410 with the documented
    error, tiles, meta and search keep answering 200; a same-size rewrite is
    noticed too.
(b) with --watch: the file is replaced by a different trace (rename) and then
    rewritten in place in pieces: each time `wait` fires, the generation moves
    and the new index is served (meta changes), while held `wait` requests
    (more than the server has threads) do not block other requests.
"""
import argparse, http.client, json, os, re, shutil, subprocess, sys, tempfile, threading, time

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok      " + what)
    else:
        failed += 1
        print("FAILED  %s %s" % (what, detail))


def start(tv, trace, *args):
    p = subprocess.Popen([tv, "serve", trace, "--port", "0"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m and "serving" in line:
            threading.Thread(target=p.stdout.read, daemon=True).start()  # keep the pipe drained
            return p, int(m.group(1))
    p.kill()
    sys.exit("the server did not start: %s" % p.stderr.read())


def stop(p):
    p.terminate()
    try:
        _, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return p.returncode, err


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        return r.status, json.loads(body) if body[:1] in (b"{", b"[") else body
    finally:
        c.close()


def gen(gen_trace, out, *args):
    subprocess.check_call([gen_trace, "-o", out, "--quiet"] + list(args))


def events_of(port, tid, meta, n=40):
    """(track, id, offset) of events spread over the file."""
    out = []
    for p in meta["processes"]:
        for t in p["tracks"]:
            if t["kind"] != "thread" or t["slices"] == 0:
                continue
            st, tile = get(port, "/api/traces/%s/tile?track=%d&level=%d&index=0"
                           % (tid, t["track"], meta["max_level"]))
            for eid in (tile["slices"]["id"] + tile["summaries"]["longest"])[:6]:
                st, ev = get(port, "/api/traces/%s/event?track=%d&id=%d" % (tid, t["track"], eid))
                if st == 200:
                    out.append((t["track"], eid, ev["offset"]))
    return out[:n] if len(out) <= n else out[:: max(1, len(out) // n)]


class Hammer:
    """Clients reading events and tiles until stopped; records statuses."""

    def __init__(self, port, tid, events, tiles, n=6):
        self.statuses, self.errors, self.stop = [], [], threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(port, tid, events, tiles, i))
                        for i in range(n)]
        for t in self.threads:
            t.start()

    def run(self, port, tid, events, tiles, k):
        i = k
        while not self.stop.is_set():
            i += 1
            if i % 2:
                tr, eid, _ = events[i % len(events)]
                path = "/api/traces/%s/event?track=%d&id=%d" % (tid, tr, eid)
            else:
                path = tiles[i % len(tiles)]
            sent = time.monotonic()
            try:
                st, body = get(port, path)
                with self.lock:
                    self.statuses.append((path, st, body, sent))
            except Exception as e:
                with self.lock:
                    self.errors.append("%s: %s" % (path, e))

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def part_a(tv, gen_trace, work):
    print("-- (a) truncated while served, without --watch")
    trace = os.path.join(work, "trunc.json")
    gen(gen_trace, trace, "--size", "24M", "--shape", "chromium", "--seed", "2")
    size = os.path.getsize(trace)
    p, port = start(tv, trace, "--quiet")
    try:
        tid = get(port, "/api/traces")[1]["traces"][0]["id"]
        st, meta = get(port, "/api/traces/%s/meta" % tid)
        events = events_of(port, tid, meta)
        check(len(events) >= 10 and any(off > size // 2 for _, _, off in events),
              "events spread over the file, some past the half", len(events))
        tiles = ["/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, t["track"], meta["max_level"] - k)
                 for pr in meta["processes"] for t in pr["tracks"] for k in (0, 3)][:30]
        h = Hammer(port, tid, events, tiles)
        time.sleep(1.0)
        os.truncate(trace, size // 2)
        cut_at = time.monotonic()
        time.sleep(1.5)
        h.finish()
        check(p.poll() is None, "the server is still running after the truncation")
        check(not h.errors, "no connection errors while truncating", h.errors[:3])
        # requests sent once the truncation returned (ones in flight at the cut
        # may have read before it)
        after = [s for s in h.statuses if s[3] > cut_at]
        ev_after = [s for s in after if "/event?" in s[0]]
        tile_after = [s for s in after if "/tile?" in s[0]]
        check(ev_after and all(s[1] == 410 for s in ev_after),
              "events after the truncation answer 410", set(s[1] for s in ev_after))
        msg = ev_after[0][2].get("error", "") if ev_after else ""
        check("changed on disk since it was indexed" in msg and "--watch" in msg
              and "was %d" % size in msg, "the 410 says what happened and what to do", msg)
        check(tile_after and all(s[1] == 200 for s in tile_after),
              "tiles keep answering 200 from the index", set(s[1] for s in tile_after))
        check(all(s[1] in (200, 410) for s in h.statuses), "no other status during the cut",
              set(s[1] for s in h.statuses))
        for path in ("meta", "stats", "flamegraph", "search?q=a", "overview"):
            st, _ = get(port, "/api/traces/%s/%s" % (tid, path))
            check(st == 200, "%s still answers 200 after the truncation" % path, st)
        # Grown back to the same size with other bytes: the time tells.
        with open(trace, "r+b") as f:
            f.truncate(size)
        os.utime(trace, (time.time(), time.time() + 5))
        tr, eid, _ = events[0]
        st, body = get(port, "/api/traces/%s/event?track=%d&id=%d" % (tid, tr, eid))
        check(st == 410 and "modified" in body.get("error", ""),
              "a same-size rewrite is noticed (410, 'modified')", (st, body))
        st, body = get(port, "/api/traces/%s/wait?generation=1" % tid, timeout=5)
        check(st == 200 and body == {"generation": 1, "changed": False, "watching": False},
              "without --watch, wait answers at once: watching false", body)
    finally:
        rc, err = stop(p)
    check(rc == 0, "SIGTERM: exit 0", (rc, err[-300:]))
    check("Sanitizer" not in err and "runtime error" not in err, "no sanitizer reports", err[-500:])


def wait_async(port, tid, generation, out):
    def run():
        t0 = time.time()
        try:
            out.append((get(port, "/api/traces/%s/wait?generation=%d" % (tid, generation), 40),
                        time.time() - t0))
        except Exception as e:
            out.append((("exception", str(e)), time.time() - t0))
    t = threading.Thread(target=run)
    t.start()
    return t


def thread_count(meta):
    return sum(1 for p in meta["processes"] for t in p["tracks"] if t["kind"] == "thread")


def part_b(tv, gen_trace, work):
    print("-- (b) rewritten under --watch")
    trace = os.path.join(work, "watched.json")
    gen(gen_trace, trace, "--size", "4M", "--threads", "4", "--seed", "1")
    p, port = start(tv, trace, "--watch", "--quiet")
    try:
        tid = get(port, "/api/traces")[1]["traces"][0]["id"]
        st, meta1 = get(port, "/api/traces/%s/meta" % tid)
        check(meta1.get("generation") == 1 and meta1.get("watching") is True,
              "meta: generation 1, watching", (meta1.get("generation"), meta1.get("watching")))
        st, tile = get(port, "/api/traces/%s/tile?track=0&level=%d&index=0" % (tid, meta1["max_level"]))
        # More held waits than the server has threads: they must not block others.
        results = []
        ws = [wait_async(port, tid, 1, results) for _ in range(24)]
        time.sleep(0.5)
        t0 = time.time()
        st, _ = get(port, "/api/traces/%s/meta" % tid, 5)
        check(st == 200 and time.time() - t0 < 2, "held waits do not block other requests",
              time.time() - t0)
        check(not results, "wait holds while nothing changed", results[:1])

        # 1. replaced by another trace (write aside, rename over)
        tmp = trace + ".tmp"
        gen(gen_trace, tmp, "--size", "6M", "--threads", "7", "--seed", "9")
        os.replace(tmp, trace)
        for w in ws:
            w.join(30)
        ok = [r for r in results if r[0][0] == 200 and r[0][1].get("changed") and r[0][1]["generation"] == 2]
        check(len(ok) == 24, "every held wait fired with generation 2", results[:2])
        st, meta2 = get(port, "/api/traces/%s/meta" % tid)
        check(meta2.get("generation") == 2, "meta: generation 2 after the rewrite", meta2.get("generation"))
        check(thread_count(meta2) != thread_count(meta1) and meta2["counts"] != meta1["counts"],
              "the new index is served (other threads and counts)",
              (thread_count(meta1), thread_count(meta2)))
        st, tile2 = get(port, "/api/traces/%s/tile?track=0&level=%d&index=0" % (tid, meta2["max_level"]))
        check(st == 200, "tiles answer from the new index", st)
        st, body = get(port, "/api/traces/%s/wait?generation=1" % tid, 5)
        check(body.get("changed") is True and body.get("generation") == 2,
              "a client behind is told at once", body)

        # 2. rewritten in place, in pieces with short pauses (one re-index after the quiet)
        gen(gen_trace, tmp, "--size", "3M", "--threads", "2", "--seed", "4")
        data = open(tmp, "rb").read()
        os.remove(tmp)
        results = []
        w = wait_async(port, tid, 2, results)
        with open(trace, "wb") as f:
            for k in range(4):
                f.write(data[k * len(data) // 4:(k + 1) * len(data) // 4])
                f.flush()
                time.sleep(0.1)
        w.join(30)
        check(results and results[0][0][0] == 200 and results[0][0][1].get("generation") == 3,
              "an in-place rewrite in pieces: wait fires with generation 3", results[:1])
        time.sleep(1.0)  # a second, spurious re-index would show as generation 4
        st, meta3 = get(port, "/api/traces/%s/meta" % tid)
        check(meta3.get("generation") == 3 and thread_count(meta3) == 2 * 2 + 2,
              "one re-index for one rewrite, and it read the whole new file",
              (meta3.get("generation"), thread_count(meta3)))
        tr = next(t["track"] for pr in meta3["processes"] for t in pr["tracks"]
                  if t["kind"] == "thread" and t["slices"])
        st, tile = get(port, "/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, tr, meta3["max_level"]))
        eid = (tile["slices"]["id"] + tile["summaries"]["longest"])[0]
        st, ev = get(port, "/api/traces/%s/event?track=%d&id=%d" % (tid, tr, eid))
        check(st == 200, "events read from the new file", (st, ev if st != 200 else ""))

        # 3. a broken rewrite keeps the previous index
        with open(trace, "wb") as f:
            f.write(b"this is not a trace")
        time.sleep(1.5)
        st, meta4 = get(port, "/api/traces/%s/meta" % tid)
        check(st == 200 and meta4.get("generation") == 3,
              "an unreadable rewrite keeps serving the previous index", (st, meta4.get("generation")))
        check(p.poll() is None, "the server is still running")
    finally:
        rc, err = stop(p)
    check(rc == 0, "SIGTERM with --watch: exit 0", (rc, err[-300:]))
    check("cannot be re-indexed" in err, "the failed re-index is reported on stderr", err[-300:])
    check("Sanitizer" not in err and "runtime error" not in err, "no sanitizer reports", err[-500:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("traceview")
    ap.add_argument("gen_trace")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tv_fault_", dir=a.workdir)
    try:
        part_a(a.traceview, a.gen_trace, work)
        part_b(a.traceview, a.gen_trace, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
