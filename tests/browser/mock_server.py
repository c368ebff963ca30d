#!/usr/bin/env python3
"""mock_server.py: a DEV-ONLY stand-in for `traceview serve`, for the web viewer.

Implements docs/api.md over Chrome trace JSON files loaded with python's json
module (so only small traces), and serves web/ at /static/ and index.html at /.
It exists so the front end and its browser test can be developed before the C
daemon serves HTTP; the daemon is the reference, this is not.

    python3 tests/browser/mock_server.py FILE... [--port N] [--index-delay S]
                                                 [--tile-delay MS]

Prints `traceview mock: http://127.0.0.1:PORT/` once listening.
--index-delay keeps every trace in state "indexing" for S seconds (to see the
progress view); --tile-delay sleeps before each tile answer (to see the
placeholders and the request queue).

Model (the same rules as docs/cli.md "Nesting and self time"):
  * X events are slices; B/E are matched per thread by a stack in timestamp
    order (an E closes the innermost open B; unclosed B end at the trace end);
    LLVM "Total <pass>" events (ts 0) are not timeline events.
  * per thread, slices sorted by (start, longer first, file order) get depth
    from a stack of open slices; zero-length slices are leaves.
  * event ids are row numbers in the thread's (depth, start) order.
  * tiles follow docs/api.md: slices with dur >= bucket_ns that overlap the
    tile are items; narrower ones are aggregated per (bucket, depth) in the
    tile that holds their start.
"""
import argparse
import bisect
import gzip
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TILE_BUCKETS = 256
WEB_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web"))
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}


class ApiError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status
        self.msg = msg


def us_to_ns(v):
    return int(round(float(v) * 1000.0))


class Strings:
    """Interned strings; id 0 is the empty string."""

    def __init__(self):
        self.text = [""]
        self.ids = {"": 0}

    def intern(self, s):
        if s is None:
            return 0
        if not isinstance(s, str):
            s = json.dumps(s)
        i = self.ids.get(s)
        if i is None:
            i = len(self.text)
            self.ids[s] = i
            self.text.append(s)
        return i


class Thread:
    def __init__(self, pid, tid):
        self.pid, self.tid = pid, tid
        self.name = None
        self.sort_index = None
        self.listed = False
        self.raw = []  # (start, dur, name, detail, cat, args, offset)
        self.marks = []  # (ts, is_begin, name, detail, cat, args, offset)
        self.instants = []  # (ts, name)


class Trace:
    def __init__(self, path, index_delay=0.0):
        self.path = os.path.abspath(path)
        self.name = os.path.basename(path)
        self.id = hashlib.sha1(self.path.encode()).hexdigest()[:10]
        self.bytes = os.path.getsize(path)
        self.format = "chrome-json"
        self.state = "indexing"
        self.done_bytes = 0
        self.error = None
        self.index_delay = index_delay

    # ------------------------------------------------------------ loading
    def load(self):
        try:
            t_start = time.time()
            with open(self.path, "rb") as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            text = data.decode("utf-8", errors="replace")
            stripped = text.lstrip()
            if stripped.startswith("["):
                self.format = "chrome-json-array"
                s = stripped.rstrip().rstrip(",")
                if not s.endswith("]"):
                    s += "]"
                events = json.loads(s)
            else:
                self.format = "chrome-json-object"
                events = json.loads(text).get("traceEvents", [])
            self.build(events)
            while self.index_delay and time.time() - t_start < self.index_delay:
                frac = (time.time() - t_start) / self.index_delay
                self.done_bytes = int(self.bytes * min(frac, 0.99))
                time.sleep(0.05)
            self.done_bytes = self.bytes
            self.state = "ready"
        except Exception as e:  # a dev tool: report, don't die
            self.state = "error"
            self.error = "%s: %s" % (type(e).__name__, e)
            print("mock: %s: %s" % (self.path, self.error), file=sys.stderr)

    def build(self, events):
        self.strings = st = Strings()
        threads = {}
        procs = {}  # pid -> {"name", "sort_index"}
        counters = {}  # (pid, name, series) -> [(ts, value)]
        self.n_instants = 0
        self.n_counter_samples = 0
        self.n_llvm_totals = 0

        def thread(pid, tid):
            t = threads.get((pid, tid))
            if t is None:
                t = threads[(pid, tid)] = Thread(pid, tid)
                procs.setdefault(pid, {"name": None, "sort_index": None})
            return t

        for off, ev in enumerate(events):
            if not isinstance(ev, dict):
                continue
            ph = ev.get("ph")
            pid = ev.get("pid", 0)
            tid = ev.get("tid", 0)
            args = ev.get("args") if isinstance(ev.get("args"), dict) else {}
            name = ev.get("name", "")
            if ph == "M":
                value = args.get("name")
                sort = args.get("sort_index")
                if name in ("process_name", "process_sort_index"):
                    p = procs.setdefault(pid, {"name": None, "sort_index": None})
                    if name == "process_name" and value:
                        p["name"] = value
                    if name == "process_sort_index" and isinstance(sort, int):
                        p["sort_index"] = sort
                elif name in ("thread_name", "thread_sort_index"):
                    t = thread(pid, tid)
                    t.listed = True
                    if name == "thread_name" and value:
                        t.name = value
                    if name == "thread_sort_index" and isinstance(sort, int):
                        t.sort_index = sort
                continue
            if "ts" not in ev or ph not in ("X", "B", "E", "i", "I", "C"):
                continue
            ts = us_to_ns(ev["ts"])
            if ph == "C":
                procs.setdefault(pid, {"name": None, "sort_index": None})
                for k, v in args.items():
                    if isinstance(v, (int, float)):
                        counters.setdefault((pid, name, k), []).append((ts, float(v)))
                        self.n_counter_samples += 1
                continue
            t = thread(pid, tid)
            if ph in ("i", "I"):
                t.instants.append((ts, st.intern(name)))
                t.listed = True
                self.n_instants += 1
                continue
            detail = args.get("detail")
            rec_name = st.intern(name)
            rec_detail = st.intern(detail) if ph != "E" else 0
            cat = ev.get("cat", "")
            if ph == "X":
                if ts == 0 and name.startswith("Total ") and "count" in args:
                    self.n_llvm_totals += 1
                    continue
                dur = max(0, us_to_ns(ev.get("dur", 0)))
                t.raw.append((ts, dur, rec_name, rec_detail, cat, args, off))
            else:
                t.marks.append((ts, ph == "B", rec_name, rec_detail, cat, args, off))
            t.listed = True

        # time range
        lo, hi = None, None

        def see(a, b):
            nonlocal lo, hi
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi

        for t in threads.values():
            for r in t.raw:
                see(r[0], r[0] + r[1])
            for m in t.marks:
                see(m[0], m[0])
            for i in t.instants:
                see(i[0], i[0])
        for samples in counters.values():
            for ts, _ in samples:
                see(ts, ts)
        if lo is None:
            lo, hi = 0, 0
        self.origin = lo
        self.duration = max(1, hi - lo)
        self.max_level = 0
        while TILE_BUCKETS << self.max_level < self.duration:
            self.max_level += 1

        # B/E matching, nesting, self time, per-depth tables
        for t in threads.values():
            t.marks.sort(key=lambda m: m[0])
            stack = []
            for ts, begin, name, detail, cat, args, off in t.marks:
                if begin:
                    stack.append((ts, name, detail, cat, dict(args), off))
                elif stack:
                    b = stack.pop()
                    a = b[4]
                    a.update(args)
                    t.raw.append((b[0], ts - b[0], b[1], b[2], b[3], a, b[5]))
            for b in stack:
                t.raw.append((b[0], hi - b[0], b[1], b[2], b[3], b[4], b[5]))
            t.raw.sort(key=lambda r: (r[0], -r[1], r[6]))
            n = len(t.raw)
            depth = [0] * n
            parent = [-1] * n
            selft = [r[1] for r in t.raw]
            open_ = []
            for i, r in enumerate(t.raw):
                while open_ and t.raw[open_[-1]][0] + t.raw[open_[-1]][1] <= r[0]:
                    open_.pop()
                depth[i] = len(open_)
                if open_:
                    p = open_[-1]
                    parent[i] = p
                    pe = t.raw[p][0] + t.raw[p][1]
                    selft[p] -= min(r[0] + r[1], pe) - r[0]
                if r[1] > 0:
                    open_.append(i)
            order = sorted(range(n), key=lambda i: (depth[i], t.raw[i][0]))
            row_of = [0] * n
            for row, i in enumerate(order):
                row_of[i] = row
            # rows: (start, dur, depth, name, detail, cat, args, offset, self, parent_row)
            t.rows = [
                (t.raw[i][0] - lo, t.raw[i][1], depth[i], t.raw[i][2], t.raw[i][3], t.raw[i][4],
                 t.raw[i][5], t.raw[i][6], selft[i], row_of[parent[i]] if parent[i] >= 0 else -1)
                for i in order
            ]
            t.raw = None
            t.marks = None
            t.max_depth = (max(depth) + 1) if n else 0
            t.depth_begin = []
            for d in range(t.max_depth + 1):
                t.depth_begin.append(bisect.bisect_left(t.rows, (d,), key=lambda r: (r[2],)))
            # per depth: starts and the running max of ends, for overlap search
            t.d_start, t.d_maxend = [], []
            for d in range(t.max_depth):
                a, b = t.depth_begin[d], t.depth_begin[d + 1]
                starts, maxend, m = [], [], -1
                for r in t.rows[a:b]:
                    starts.append(r[0])
                    m = max(m, r[0] + r[1])
                    maxend.append(m)
                t.d_start.append(starts)
                t.d_maxend.append(maxend)
            t.instants = sorted((ts - lo, name) for ts, name in t.instants)
            t.inst_ts = [i[0] for i in t.instants]

        # tracks in sort order: processes (sort index, pid), threads (sort index, tid), counters
        def skey(sort, ident):
            return (sort if sort is not None else 0, ident if isinstance(ident, (int, float)) else 0, str(ident))

        self.tracks = []
        self.processes = []
        for pid in sorted(procs, key=lambda p: skey(procs[p]["sort_index"], p)):
            p = procs[pid]
            entry = {"pid": pid, "name": p["name"], "sort_index": p["sort_index"], "tracks": []}
            ths = [t for t in threads.values() if t.pid == pid and t.listed]
            ths.sort(key=lambda t: skey(t.sort_index, t.tid))
            for t in ths:
                t.track = len(self.tracks)
                t.kind = "thread"
                self.tracks.append(t)
                entry["tracks"].append({"track": t.track, "kind": "thread", "tid": t.tid, "name": t.name,
                                        "sort_index": t.sort_index, "slices": len(t.rows),
                                        "max_depth": t.max_depth})
            for (cpid, cname, series) in sorted(k for k in counters if k[0] == pid):
                samples = sorted((ts - lo, v) for ts, v in counters[(cpid, cname, series)])
                c = type("Counter", (), {})()
                c.kind = "counter"
                c.track = len(self.tracks)
                c.samples = samples
                c.ts = [s[0] for s in samples]
                self.tracks.append(c)
                vals = [s[1] for s in samples]
                entry["tracks"].append({"track": c.track, "kind": "counter", "name": cname, "series": series,
                                        "samples": len(samples), "min": min(vals), "max": max(vals)})
            if entry["tracks"]:
                self.processes.append(entry)
        self.n_slices = sum(len(t.rows) for t in self.tracks if t.kind == "thread")

    # ------------------------------------------------------------ answers
    def summary(self):
        return {"id": self.id, "name": self.name, "path": self.path, "bytes": self.bytes,
                "format": self.format, "state": self.state,
                "progress": (self.done_bytes / self.bytes) if self.bytes else 1.0, "error": self.error}

    def require_ready(self):
        if self.state == "indexing":
            raise ApiError(409, "trace '%s' is still indexing" % self.id)
        if self.state == "error":
            raise ApiError(404, "trace '%s' failed to load: %s" % (self.id, self.error))

    def meta(self):
        self.require_ready()
        return {"id": self.id, "name": self.name, "format": self.format,
                "origin_ns": str(self.origin), "duration_ns": self.duration,
                "tile_buckets": TILE_BUCKETS, "max_level": self.max_level,
                "counts": {"slices": self.n_slices, "instants": self.n_instants,
                           "counter_samples": self.n_counter_samples, "llvm_totals": self.n_llvm_totals},
                "processes": self.processes}

    def track(self, q):
        t = int_param(q, "track", 0, 2**31)
        if t >= len(self.tracks):
            raise ApiError(404, "no track %d" % t)
        return self.tracks[t]

    def tile(self, q):
        self.require_ready()
        tr = self.track(q)
        level = int_param(q, "level", 0, 62)
        index = int_param(q, "index", 0, 2**62)
        bucket_ns = 1 << level
        t0 = index * TILE_BUCKETS * bucket_ns
        t1 = t0 + TILE_BUCKETS * bucket_ns
        out = {"track": tr.track, "level": level, "index": index, "t0": t0, "bucket_ns": bucket_ns}
        if tr.kind == "counter":
            buckets, mn, mx, last = [], [], [], []
            i = bisect.bisect_left(tr.ts, t0)
            while i < len(tr.samples) and tr.samples[i][0] < t1:
                ts, v = tr.samples[i]
                b = (ts - t0) // bucket_ns
                if not buckets or buckets[-1] != b:
                    buckets.append(b); mn.append(v); mx.append(v); last.append(v)
                else:
                    mn[-1] = min(mn[-1], v); mx[-1] = max(mx[-1], v); last[-1] = v
                i += 1
            out.update({"buckets": buckets, "min": mn, "max": mx, "last": last})
            return out
        used = set()
        sl = {k: [] for k in ("id", "start", "dur", "depth", "name", "detail")}
        agg = {}  # (bucket, depth) -> [count, busy, longest_row, longest_dur]
        for d in range(tr.max_depth):
            starts, maxend = tr.d_start[d], tr.d_maxend[d]
            base = tr.depth_begin[d]
            i = bisect.bisect_left(maxend, t0)
            while i < len(starts) and starts[i] < t1:
                r = tr.rows[base + i]
                start, dur = r[0], r[1]
                if start + dur > t0 or start >= t0:
                    if dur >= bucket_ns:
                        sl["id"].append(base + i); sl["start"].append(start); sl["dur"].append(dur)
                        sl["depth"].append(d); sl["name"].append(r[3]); sl["detail"].append(r[4])
                        used.add(r[3]); used.add(r[4])
                    elif start >= t0:
                        key = ((start - t0) // bucket_ns, d)
                        a = agg.get(key)
                        if a is None:
                            agg[key] = [1, dur, base + i, dur]
                        else:
                            a[0] += 1
                            a[1] += dur
                            if dur > a[3]:
                                a[2], a[3] = base + i, dur
                i += 1
        sm = {k: [] for k in ("bucket", "depth", "count", "busy", "longest", "name")}
        for (b, d) in sorted(agg):
            a = agg[(b, d)]
            name = tr.rows[a[2]][3]
            sm["bucket"].append(b); sm["depth"].append(d); sm["count"].append(a[0])
            sm["busy"].append(a[1]); sm["longest"].append(a[2]); sm["name"].append(name)
            used.add(name)
        inst = {"bucket": [], "count": [], "name": []}
        i = bisect.bisect_left(tr.inst_ts, t0)
        while i < len(tr.instants) and tr.instants[i][0] < t1:
            ts, name = tr.instants[i]
            b = (ts - t0) // bucket_ns
            if inst["bucket"] and inst["bucket"][-1] == b:
                inst["count"][-1] += 1
            else:
                inst["bucket"].append(b); inst["count"].append(1); inst["name"].append(name)
                used.add(name)
            i += 1
        used.discard(0)
        out.update({"slices": sl, "summaries": sm, "instants": inst,
                    "strings": {str(s): self.strings.text[s] for s in sorted(used)}})
        return out

    def event(self, q):
        self.require_ready()
        tr = self.track(q)
        if tr.kind != "thread":
            raise ApiError(404, "track %d has no slices" % tr.track)
        n = int_param(q, "id", 0, 2**62)
        if n >= len(tr.rows):
            raise ApiError(404, "no event %d on track %d" % (n, tr.track))
        r = tr.rows[n]
        text = self.strings.text
        parents = []
        p = r[9]
        while p >= 0:
            pr = tr.rows[p]
            parents.append({"id": p, "name": text[pr[3]], "start": pr[0], "dur": pr[1]})
            p = pr[9]
        return {"track": tr.track, "id": n, "name": text[r[3]], "detail": text[r[4]],
                "detail_demangled": text[r[4]], "category": r[5], "start": r[0], "dur": r[1],
                "self": r[8], "depth": r[2], "args": r[6], "offset": r[7], "parents": parents}

    def overview(self, q):
        self.require_ready()
        n = int_param(q, "buckets", 1, 4096, default=1000)
        bucket_ns = max(1, -(-self.duration // n))
        busy = [0] * n
        for tr in self.tracks:
            if tr.kind != "thread" or tr.max_depth == 0:
                continue
            for r in tr.rows[: tr.depth_begin[1]]:
                s, e = r[0], r[0] + r[1]
                b = s // bucket_ns
                while s < e and b < n:
                    be = (b + 1) * bucket_ns
                    busy[b] += min(e, be) - s
                    s = be
                    b += 1
        return {"bucket_ns": bucket_ns, "busy": busy}


def int_param(q, name, lo, hi, default=None):
    v = q.get(name)
    if v is None:
        if default is not None:
            return default
        raise ApiError(400, "missing parameter '%s'" % name)
    v = v[0]
    if not re.fullmatch(r"[0-9]{1,19}", v) or not (lo <= int(v) <= hi):
        raise ApiError(400, "bad parameter '%s': expected an integer %d..%d, got '%s'" % (name, lo, hi, v[:40]))
    return int(v)


class Handler(BaseHTTPRequestHandler):
    server_version = "traceview-mock/0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    def send(self, status, body, ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.send(405, {"error": "method not allowed"})

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        q = parse_qs(url.query)
        try:
            if path == "/" or path == "/index.html":
                return self.static("index.html")
            if path.startswith("/static/"):
                return self.static(path[len("/static/"):])
            if path == "/api/traces":
                return self.send(200, {"traces": [t.summary() for t in self.server.traces]})
            m = re.fullmatch(r"/api/traces/([0-9a-f]+)/(progress|meta|tile|event|overview)", path)
            if not m:
                raise ApiError(404, "no such path '%s'" % path[:100])
            tr = next((t for t in self.server.traces if t.id == m.group(1)), None)
            if tr is None:
                raise ApiError(404, "no trace '%s'" % m.group(1))
            what = m.group(2)
            if what == "progress":
                return self.send(200, {"state": tr.state, "done_bytes": tr.done_bytes,
                                       "total_bytes": tr.bytes, "error": tr.error})
            if what == "meta":
                return self.send(200, tr.meta())
            if what == "tile":
                if self.server.tile_delay:
                    time.sleep(self.server.tile_delay / 1000.0)
                body = tr.tile(q)
                return self.send(200, body, extra={
                    "Cache-Control": "public, max-age=31536000, immutable",
                    "ETag": '"%s-%s-%s-%s"' % (tr.id, body["track"], body["level"], body["index"])})
            if what == "event":
                return self.send(200, tr.event(q))
            if what == "overview":
                return self.send(200, tr.overview(q))
        except ApiError as e:
            return self.send(e.status, {"error": e.msg})
        except BrokenPipeError:
            pass

    def static(self, rel):
        full = os.path.normpath(os.path.join(WEB_DIR, rel))
        if not full.startswith(WEB_DIR + os.sep) or not os.path.isfile(full):
            raise ApiError(404, "no static file '%s'" % rel[:100])
        with open(full, "rb") as f:
            body = f.read()
        ctype = CONTENT_TYPES.get(os.path.splitext(full)[1], "application/octet-stream")
        # no caching: this is for development, files change under it
        self.send(200, body, ctype, {"Cache-Control": "no-store"})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--index-delay", type=float, default=0.0)
    ap.add_argument("--tile-delay", type=float, default=0.0, help="milliseconds")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="accepted for symmetry with traceview serve")
    a = ap.parse_args()
    traces = [Trace(f, a.index_delay) for f in a.files]
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    srv.traces = traces
    srv.tile_delay = a.tile_delay
    srv.verbose = a.verbose
    for t in traces:
        threading.Thread(target=t.load, daemon=True).start()
    print("traceview mock: http://%s:%d/" % (a.host, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
