#!/usr/bin/env python3
"""Black-box tests of the `traceview serve` JSON API (docs/api.md).

    test_api.py TRACEVIEW GEN_TRACE CORPUS_DIR [--suite default|large|all]
                [--workdir DIR] [--keep]

Python standard library only. The script starts the server itself on
127.0.0.1 with an ephemeral port (`--port 0 --quiet`, the URL is read from the
announcement line on stdout), always stops it (SIGTERM, then SIGKILL after a
timeout) and restarts it when a request killed it, so one crash is reported
once and the other checks still run. Every check prints `ok` or `FAIL`; the
last line is `N passed, M failed`; the exit status is 1 when anything failed.

Traces of the default suite, served at once: four corpus files (a gzip one
decompressed into the work dir first: the server does not read gzip yet), a
Chromium-shaped trace from gen_trace (sort indexes, B/E, instants, counters,
escapes) and a small hand-made trace with overlapping (not properly nested)
slices. A sanitizer report on the server's stderr (TV_ASAN / TV_UBSAN builds)
is a failure.

default suite (about 20-35 s on the 2-core development machine):
  1. shapes     status codes, Content-Type and JSON shape of every endpoint;
                /api/traces ids distinct and stable across a restart (also
                when the files are given by relative paths and in another
                order); `/` and /static/index.html are HTML when present.
  2. tiles      tile accounting, checked against an independent Python reading
                of the trace (json with Decimal, ns = exact us*1000 rounded
                half away from zero; X events minus LLVM `Total ` events, B/E
                matched per (pid, tid) as docs/cli.md says): for every thread
                track at every level whose tile count over [0, duration_ns]
                is small enough, plus the top level, fetch every tile and
                check: distinct slice ids + summary counts == the track's
                `slices`; the distinct slices are exactly Python's slices with
                dur >= bucket_ns (start, dur); summary count and busy summed
                per absolute bucket equal Python's narrow slices per bucket;
                every slice overlaps its tile, buckets are 0..255, busy <=
                count * bucket_ns, depths < max_depth, per-depth bounds (257
                slices, 256 summaries), strings complete; instants per track;
                counter tiles (min/max/last per bucket) against Python; meta
                per-track slice counts, origin and duration against Python;
                the overview. Tiles above the top level must work too.
  4. event      /event args equal Python's parse of the JSON object at the
                returned byte `offset`; name, category, detail, start, dur;
                the `parents` chain (each parent contains the child's start,
                depth drops by one per step, len(parents) == depth); on the
                hand-made trace, parents are the slices enclosing the start.
  5. hostile    traversal, encoded NULs and invalid UTF-8, bad Host headers,
                methods other than GET/HEAD, bad parameters, unknown ids and
                endpoints, a 100 KB URL and a 100 KB header (raw sockets for
                the malformed ones): 4xx with a JSON error body, no CORS
                header anywhere, the server alive afterwards; ETag,
                Cache-Control immutable and If-None-Match -> 304; 32
                concurrent connections.
  6. port       --port N with N held by another socket: the server says it
                picks another port and serves there; also when N is held by
                another traceview; bad --port values exit 2.
large suite (about 15-20 s, ~1.4 GB of disk, ~2 GB of RAM):
  3. big        a ~7,000,000-event LLVM-shaped trace from gen_trace (~1.3 GB,
                in the work dir, deleted at the end): while it indexes,
                /api/traces says `indexing` and meta/tile/event/overview answer
                409; then the zoomed-out tiles of
                the busiest tracks hold at most 257 slices and 256 summaries
                per depth; the largest tile and p50/p99 time per tile request
                are printed (no assertion on time); accounting on those tiles.
"""
import argparse
import collections
import decimal
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

D = decimal.Decimal
CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP)
BUCKETS = 256
MAX_ERRORS = 8          # differences shown per check
TILE_LIMIT_BUSY = 3000  # tiles per level for the busiest tracks of a trace
TILE_LIMIT_OTHER = 64   # ... and for the others (keeps the suite fast)
BUSY_TRACKS = 3

# Corpus traces served together in the default suite (path, gzip?).
CORPUS_TRACES = [
    "rustc/memchr-2.5.0.O0.llvm_timings.json",        # X only, LLVM totals
    "clang/sqlite3-3.6.11.O2.time-trace.json",         # X only, deep nesting
    "node/npm-ls.trace.json",                          # X + B/E + C counters + I
    "chromium/devtools-timeline-usertiming.json.gz",   # 69 threads, unclosed B
]


CRAFTED = "crafted-overlap.json"


def make_crafted(path):
    """A small hand-made trace. tid 1: A [0,100) > P [10,20) > C [15,30)
    (C overlaps the end of P: repairs.overlapping) and S [25,26), which the
    stack puts under C at depth 3 while P has already ended: S is inside A and
    C, not P. tid 2: 800 randomly overlapping X slices (zero-length, fractional
    ts, long and short), enough for the LOD pyramid. tid 3: B/E with an
    unclosed B. Times in us."""
    ev = [{"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "crafted"}}]
    for name, ts, dur in (("A", 0, 100), ("P", 10, 10), ("C", 15, 15), ("S", 25, 1)):
        ev.append({"ph": "X", "pid": 1, "tid": 1, "ts": ts, "dur": dur, "name": name, "cat": "c",
                   "args": {"which": name, "esc": "q\"\\},{\u00e9"}})
    rng = random.Random(5)
    for i in range(800):
        r = rng.random()
        dur = 0 if r < 0.2 else rng.randrange(1, 40) if r < 0.5 else rng.randrange(40, 3000) if r < 0.9 \
            else rng.randrange(3000, 60000)
        ev.append({"ph": "X", "pid": 1, "tid": 2, "ts": rng.randrange(0, 200000) + rng.choice([0, 0.5, 0.25, 0.001]),
                   "dur": dur, "name": "r%d" % (i % 13), "args": {"i": i}})
    ev += [{"ph": "B", "pid": 1, "tid": 3, "ts": 5, "name": "open"}, {"ph": "B", "pid": 1, "tid": 3, "ts": 6, "name": "b"},
           {"ph": "E", "pid": 1, "tid": 3, "ts": 9}]
    with open(path, "w") as f:
        json.dump({"traceEvents": ev}, f)


# --------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, cond, what, detail=""):
        if len(what) > 160:
            what = what[:120] + "...(%d chars)" % len(what)
        if cond:
            self.passed += 1
            print("ok    " + what, flush=True)
        else:
            self.failed += 1
            self.failures.append((what, detail))
            print("FAIL  " + what + (": " + str(detail) if detail != "" else ""), flush=True)
        return bool(cond)

    def errors(self, what, errs, total=None):
        """One check for a list of differences (shows the first few)."""
        n = len(errs) if total is None else total
        if errs:
            shown = "; ".join(str(e) for e in errs[:MAX_ERRORS])
            more = " (+%d more)" % (n - MAX_ERRORS) if n > MAX_ERRORS else ""
            return self.check(False, what, "%d problem(s): %s%s" % (n, shown, more))
        return self.check(True, what)

    def info(self, text):
        print("      " + text, flush=True)

    def section(self, title):
        print("\n== " + title, flush=True)


R = Report()


# ------------------------------------------------------------------ server

URL_RE = re.compile(r"serving (\d+) traces? at http://([^/\s]+):(\d+)/")


class Server:
    """One `traceview serve` process."""

    def __init__(self, binary, files, port=0, cwd=None, extra=(), ready_timeout=180):
        self.binary = binary
        self.files = list(files)
        self.req_port = port
        self.cwd = cwd
        self.extra = list(extra)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.port = None
        self.n_served = None
        self.stdout = []
        self.stderr = []
        self.restarts = 0

    def cmd(self):
        return [self.binary, "serve"] + self.files + ["--port", str(self.req_port), "--quiet"] + self.extra

    def start(self):
        self.start_process()
        return self.wait_ready()

    def start_process(self):
        self.stdout, self.stderr = [], []
        self.proc = subprocess.Popen(self.cmd(), cwd=self.cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        got = threading.Event()

        def read_out(f, sink, is_stdout):
            for raw in iter(f.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                sink.append(line)
                if is_stdout and URL_RE.search(line):
                    got.set()
            if is_stdout:
                got.set()

        self._threads = [threading.Thread(target=read_out, args=(self.proc.stdout, self.stdout, True), daemon=True),
                         threading.Thread(target=read_out, args=(self.proc.stderr, self.stderr, False), daemon=True)]
        for t in self._threads:
            t.start()
        self._got = got
        self._t0 = time.time()

    def early_port(self, timeout=60):
        """The port from the 'indexing ...; the viewer at URL' line on stderr
        (printed before indexing starts, without --quiet)."""
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            for line in list(self.stderr):
                m = re.search(r"the viewer at http://[^/\s]+:(\d+)/", line)
                if m:
                    return int(m.group(1))
            time.sleep(0.02)
        return None

    def wait_ready(self):
        got, t0 = self._got, self._t0
        if not got.wait(self.ready_timeout):
            self.stop()
            raise RuntimeError("server did not announce its URL within %d s: %s" % (self.ready_timeout, self.stderr[-5:]))
        for line in self.stdout:
            m = URL_RE.search(line)
            if m:
                self.n_served = int(m.group(1))
                self.port = int(m.group(3))
                self.ready_seconds = time.time() - t0
                return self
        time.sleep(0.2)
        rc = self.proc.poll()
        raise RuntimeError("server exited (%s) without serving: stdout %s stderr %s" % (rc, self.stdout, self.stderr[-5:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for t in getattr(self, "_threads", []):
            t.join(2)
        self.check_sanitizer()
        return self.proc.returncode

    def check_sanitizer(self):
        """A sanitizer build (TV_ASAN/TV_UBSAN) reports on stderr: a failure."""
        text = "\n".join(self.stderr)
        m = re.search(r"(ERROR: \w+Sanitizer.*|.*runtime error:.*)", text)
        if m and not getattr(self, "_san_reported", False):
            self._san_reported = True
            frames = [ln.strip() for ln in self.stderr if re.match(r"\s*#\d+ ", ln)][:6]
            R.check(False, "no sanitizer report on the server's stderr", "%s | %s" % (m.group(1)[:200], " | ".join(frames)))
        self.stderr_seen = len(self.stderr)

    def crash_note(self):
        rc = self.proc.poll() if self.proc else None
        if rc is None:
            return "alive"
        if rc < 0:
            return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
        return "exited with %d" % rc


# ------------------------------------------------------------------ client

ACAO_SEEN = []  # (path, value) of every Access-Control-Allow-Origin header seen
N_RESPONSES = [0]


def note_headers(path, headers):
    N_RESPONSES[0] += 1
    for k, v in headers.items():
        if k.lower().startswith("access-control-"):
            ACAO_SEEN.append((path, k, v))


class Client:
    """Keep-alive HTTP client for one server."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def request(self, path, method="GET", headers=None, body=None):
        """(status, headers with lower-case names, body bytes); raises OSError
        or http.client.HTTPException when the server drops the connection."""
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                note_headers(path, hdrs)
                if r.will_close:
                    self.close()
                return r.status, hdrs, data
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path, headers=None):
        st, h, b = self.request(path, headers=headers)
        try:
            j = json.loads(b) if b else None
        except ValueError:
            j = None
        return st, h, j, b


def raw_request(port, data, timeout=10.0):
    """Sends raw bytes, reads the answer. Returns a dict: status (int or None),
    headers, body, closed (connection closed without an HTTP answer), note."""
    out = {"status": None, "headers": {}, "body": b"", "closed": False, "note": ""}
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError as e:
            out["note"] = "send: %s" % e.__class__.__name__
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                out["note"] += " recv timeout"
                break
            except OSError as e:
                out["note"] += " recv: %s" % e.__class__.__name__
                break
            if not chunk:
                break
            buf += chunk
            if b"\r\n\r\n" in buf:
                head, _, body = buf.partition(b"\r\n\r\n")
                m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        if not buf:
            out["closed"] = True
            return out
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0])
        out["status"] = int(m.group(1)) if m else None
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            out["headers"][k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        out["body"] = body
        note_headers("raw", out["headers"])
        return out
    finally:
        s.close()


# --------------------------------------------------------- Python's reading

def to_ns(v):
    """Microseconds (int or Decimal) to integer ns, halves away from zero."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v * 1000
    if isinstance(v, D):
        return int((v * 1000).quantize(D(1), context=CTX))
    return None


def is_num(v):
    return isinstance(v, (int, D)) and not isinstance(v, bool)


def load_events(path):
    raw = open(path, "rb").read()
    doc = json.loads(raw, parse_float=D)
    events = doc.get("traceEvents", []) if isinstance(doc, dict) else doc
    return raw, events


def is_llvm_total(ev):
    name = ev.get("name")
    args = ev.get("args")
    return (isinstance(name, str) and name.startswith("Total ") and is_num(ev.get("ts"))
            and ev.get("ts") == 0 and isinstance(args, dict) and "count" in args)


class Model:
    """Python's view of a Chrome trace: per (pid, tid) slices (abs start ns,
    dur ns), instants, counters; time range. Written from docs/cli.md."""

    def __init__(self, events):
        self.slices = collections.defaultdict(list)   # (pid, tid) -> [(start, dur)]
        self.instants = collections.defaultdict(list)  # (pid, tid) -> [ts]
        self.counters = collections.defaultdict(list)  # (pid, name, series) -> [(ts, value)]
        self.listed = set()
        self.totals = 0
        self.has_be = False
        be = collections.defaultdict(list)
        lo, hi = None, None
        end_of_trace = None

        def rng(a, b):
            nonlocal lo, hi
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi

        def eot(t):
            nonlocal end_of_trace
            end_of_trace = t if end_of_trace is None or t > end_of_trace else end_of_trace

        for ev in events:
            if not isinstance(ev, dict):
                continue
            ph = ev.get("ph")
            key = (ev.get("pid"), ev.get("tid"))
            ts = to_ns(ev.get("ts"))
            if ph == "M":
                if ev.get("name") in ("thread_name", "thread_sort_index"):
                    self.listed.add(key)
                continue
            if ts is None:
                continue
            if ph == "X":
                if is_llvm_total(ev):
                    self.totals += 1
                    continue
                dur = to_ns(ev.get("dur", 0)) or 0
                dur = max(dur, 0)
                self.slices[key].append((ts, dur))
                self.listed.add(key)
                rng(ts, ts + dur)
                eot(ts + dur)
            elif ph in ("B", "E"):
                self.has_be = True
                be[key].append((ts, ph))
                eot(ts)
                if ph == "E":
                    self.listed.add(key)
            elif ph in ("i", "I"):
                self.instants[key].append(ts)
                self.listed.add(key)
                rng(ts, ts)
                eot(ts)
            elif ph == "C":
                args = ev.get("args")
                if isinstance(args, dict):
                    n = 0
                    for series, v in args.items():
                        if is_num(v):
                            self.counters[(ev.get("pid"), ev.get("name"), series)].append((ts, float(v)))
                            n += 1
                    if n:
                        rng(ts, ts)
                        eot(ts)
        for key, evs in be.items():
            evs.sort(key=lambda e: e[0])  # stable: file order for equal ts
            stack = []
            for ts, ph in evs:
                if ph == "B":
                    stack.append(ts)
                elif stack:
                    b = stack.pop()
                    self.slices[key].append((b, ts - b))
                    self.listed.add(key)
                    rng(b, ts)
            for b in stack:
                self.slices[key].append((b, end_of_trace - b))
                self.listed.add(key)
                rng(b, end_of_trace)
        for k in self.counters:
            self.counters[k].sort(key=lambda e: e[0])
        self.origin = lo if lo is not None else 0
        self.duration = (hi - lo) if lo is not None else 0


# ------------------------------------------------------------ JSON shapes

def shape_errors(obj, spec, where="$"):
    """spec: a type, a tuple of types, a dict {key: spec} (keys required),
    or a list [spec] for arrays."""
    errs = []
    if isinstance(spec, dict):
        if not isinstance(obj, dict):
            return ["%s: expected an object, got %s" % (where, type(obj).__name__)]
        for k, s in spec.items():
            if k not in obj:
                errs.append("%s.%s missing" % (where, k))
            else:
                errs += shape_errors(obj[k], s, "%s.%s" % (where, k))
    elif isinstance(spec, list):
        if not isinstance(obj, list):
            return ["%s: expected an array, got %s" % (where, type(obj).__name__)]
        for i, v in enumerate(obj[:50]):
            errs += shape_errors(v, spec[0], "%s[%d]" % (where, i))
    else:
        types = spec if isinstance(spec, tuple) else (spec,)
        ok = isinstance(obj, types) and not (isinstance(obj, bool) and bool not in types)
        if not ok:
            errs.append("%s: expected %s, got %r" % (where, "/".join(t.__name__ for t in types), obj))
    return errs


NoneT = type(None)
NUM = (int, float)
TRACE_SPEC = {"id": str, "name": str, "path": str, "bytes": int, "format": str,
              "state": str, "progress": NUM, "error": (str, NoneT)}
PROGRESS_SPEC = {"state": str, "done_bytes": int, "total_bytes": int, "error": (str, NoneT)}
THREAD_TRACK_SPEC = {"track": int, "kind": str, "tid": int, "name": (str, NoneT),
                     "sort_index": (int, NoneT), "slices": int, "max_depth": int}
COUNTER_TRACK_SPEC = {"track": int, "kind": str, "name": (str, NoneT), "series": (str, NoneT),
                      "samples": int, "min": NUM, "max": NUM}
META_SPEC = {"id": str, "name": str, "format": str, "origin_ns": str, "duration_ns": int,
             "tile_buckets": int, "max_level": int,
             "counts": {"slices": int, "instants": int, "counter_samples": int, "llvm_totals": int},
             "processes": [{"pid": int, "name": (str, NoneT), "sort_index": (int, NoneT), "tracks": list}]}
THREAD_TILE_SPEC = {"track": int, "level": int, "index": int, "t0": int, "bucket_ns": int,
                    "slices": {"id": [int], "start": [int], "dur": [int], "depth": [int],
                               "name": [int], "detail": [int]},
                    "summaries": {"bucket": [int], "depth": [int], "count": [int], "busy": [int],
                                  "longest": [int], "name": [int]},
                    "instants": {"bucket": [int], "count": [int], "name": [int]},
                    "strings": dict}
COUNTER_TILE_SPEC = {"track": int, "level": int, "index": int, "t0": int, "bucket_ns": int,
                     "buckets": [int], "min": [NUM], "max": [NUM], "last": [NUM]}
EVENT_SPEC = {"track": int, "id": int, "name": str, "detail": str, "detail_demangled": str,
              "category": str, "start": int, "dur": int, "self": int, "depth": int,
              "args": dict, "offset": int,
              "parents": [{"id": int, "name": str, "start": int, "dur": int}]}
OVERVIEW_SPEC = {"bucket_ns": NUM, "busy": [int]}


def is_json_error(st, h, b):
    """A JSON error answer: application/json and {"error": "..."}."""
    if "application/json" not in h.get("content-type", ""):
        return False
    try:
        j = json.loads(b)
    except ValueError:
        return False
    return isinstance(j, dict) and isinstance(j.get("error"), str) and j["error"] != ""


# ------------------------------------------------------------------ context

class Ctx:
    """The running server of the default suite plus what we know about it."""

    def __init__(self, args, files):
        self.args = args
        self.files = files
        self.server = Server(args.traceview, files)
        self.client = None
        self.traces = {}   # abs path -> trace entry from /api/traces
        self.metas = {}    # id -> meta
        self.models = {}   # id -> Model
        self.raws = {}     # id -> bytes of the file

    def start(self):
        self.server.start()
        self.client = Client(self.server.port)

    def ensure_alive(self, what):
        """After a check: the server must still be up. Restart it if not."""
        alive = self.server.alive()
        if alive:
            try:
                st, _, _ = self.client.request("/api/traces")
                alive = st == 200
            except (OSError, http.client.HTTPException):
                alive = False
        if not alive:
            try:
                self.server.proc.wait(3)  # a crash in progress: let it finish
            except subprocess.TimeoutExpired:
                pass
        if not R.check(alive, "server alive after %s" % what,
                       "" if alive else self.server.crash_note()):
            self.server.stop()
            self.client.close()
            self.server.restarts += 1
            self.start()
        return alive

    def get(self, path, **kw):
        return self.client.request(path, **kw)

    def get_json(self, path, **kw):
        return self.client.get_json(path, **kw)

    def port(self):
        return self.server.port


# ---------------------------------------------------------------- section 1

def section_shapes(ctx):
    R.section("1. endpoints, status codes and JSON shapes (%d traces served at once)" % len(ctx.files))
    R.check(ctx.server.n_served == len(ctx.files), "announcement says %d traces" % len(ctx.files),
            ctx.server.stdout)
    st, h, j, b = ctx.get_json("/api/traces")
    R.check(st == 200 and "application/json" in h.get("content-type", ""), "GET /api/traces 200 application/json",
            (st, h.get("content-type")))
    R.errors("/api/traces shape", shape_errors(j, {"traces": [TRACE_SPEC]}))
    traces = (j or {}).get("traces", [])
    by_path = {t.get("path"): t for t in traces}
    R.check(sorted(by_path) == sorted(ctx.files), "/api/traces lists every served file by absolute path",
            sorted(by_path))
    ids = [t.get("id") for t in traces]
    R.check(len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-zA-Z_-]{4,64}", i or "") for i in ids),
            "trace ids distinct and URL-safe", ids)
    errs = []
    for t in traces:
        if t.get("state") != "ready" or t.get("progress") != 1 or t.get("error") is not None:
            errs.append("%s: state %s progress %s error %s" % (t.get("name"), t.get("state"), t.get("progress"), t.get("error")))
        if t.get("name") != os.path.basename(t.get("path", "")):
            errs.append("%s: name is not the base name of %s" % (t.get("name"), t.get("path")))
        if t.get("path") in ctx.files and t.get("bytes") != os.path.getsize(t["path"]):
            errs.append("%s: bytes %s, file has %d" % (t.get("name"), t.get("bytes"), os.path.getsize(t["path"])))
        if t.get("format") not in ("chrome-json-object", "chrome-json-array", "chrome-jsonl"):
            errs.append("%s: format %r" % (t.get("name"), t.get("format")))
    R.errors("/api/traces entries: ready, progress 1.0, name, bytes, format", errs)
    ctx.traces = by_path

    st, h, b = ctx.get("/api/traces", method="HEAD")
    R.check(st == 200 and b == b"" and "application/json" in h.get("content-type", ""),
            "HEAD /api/traces: 200, empty body", (st, len(b)))

    for path in ctx.files:
        t = by_path.get(path)
        if not t:
            continue
        tid = t["id"]
        name = t["name"]
        st, h, j, b = ctx.get_json("/api/traces/%s/progress" % tid)
        R.check(st == 200 and "application/json" in h.get("content-type", ""), "%s: progress 200" % name, st)
        errs = shape_errors(j, PROGRESS_SPEC)
        if not errs and (j["state"] != "ready" or j["error"] is not None or j["done_bytes"] != t["bytes"]
                         or j["total_bytes"] != t["bytes"]):
            errs.append("state %s done %s total %s bytes %s error %s" % (j["state"], j["done_bytes"], j["total_bytes"],
                                                                       t["bytes"], j["error"]))
        R.errors("%s: progress shape, ready, done_bytes == total_bytes == bytes" % name, errs)

        st, h, j, b = ctx.get_json("/api/traces/%s/meta" % tid)
        R.check(st == 200 and "application/json" in h.get("content-type", ""), "%s: meta 200" % name, st)
        errs = shape_errors(j, META_SPEC)
        if not errs:
            if j["id"] != tid or j["name"] != name or j["format"] != t["format"]:
                errs.append("id/name/format differ from /api/traces")
            if not re.fullmatch(r"-?\d+", j["origin_ns"]):
                errs.append("origin_ns %r is not an integer string" % j["origin_ns"])
            if j["tile_buckets"] != BUCKETS:
                errs.append("tile_buckets %s" % j["tile_buckets"])
            if not (0 <= j["max_level"] <= 62) or (j["duration_ns"] >> j["max_level"]) > 1:
                errs.append("max_level %d does not cover duration %d in one bucket" % (j["max_level"], j["duration_ns"]))
            want = 0
            for p in j["processes"]:
                for tr in p["tracks"]:
                    spec = THREAD_TRACK_SPEC if tr.get("kind") == "thread" else COUNTER_TRACK_SPEC
                    if tr.get("kind") not in ("thread", "counter"):
                        errs.append("track kind %r" % tr.get("kind"))
                    errs += shape_errors(tr, spec, "track %s" % tr.get("track"))
                    if tr.get("track") != want:
                        errs.append("track numbers not 0..n-1 in order: %s at position %d" % (tr.get("track"), want))
                    want += 1
        R.errors("%s: meta shape (tracks numbered 0..n-1 in listing order)" % name, errs)
        if not errs:
            ctx.metas[tid] = j

        st, h, j, b = ctx.get_json("/api/traces/%s" % tid)
        R.check(st in (200, 404), "%s: /api/traces/{id} (not in docs) answers 200 or 404" % name, st)

        st, h, j, b = ctx.get_json("/api/traces/%s/overview" % tid)
        errs = shape_errors(j, OVERVIEW_SPEC) if st == 200 else ["status %s" % st]
        if not errs and len(j["busy"]) != 1000:
            errs.append("default buckets: %d, docs say 1000" % len(j["busy"]))
        R.errors("%s: overview default 1000 buckets" % name, errs)

        m = ctx.metas.get(tid)
        if m:
            thread = next((tr for p in m["processes"] for tr in p["tracks"] if tr["kind"] == "thread" and tr.get("lane") is None), None)
            if thread:
                st, h, j, b = ctx.get_json("/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, thread["track"], m["max_level"]))
                R.errors("%s: thread tile shape" % name, shape_errors(j, THREAD_TILE_SPEC) if st == 200 else ["status %s" % st])
            counter = next((tr for p in m["processes"] for tr in p["tracks"] if tr["kind"] == "counter"), None)
            if counter:
                st, h, j, b = ctx.get_json("/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, counter["track"], m["max_level"]))
                R.errors("%s: counter tile shape" % name, shape_errors(j, COUNTER_TILE_SPEC) if st == 200 else ["status %s" % st])

    # Pages.
    st, h, b = ctx.get("/static/data/api.js")
    if st == 200:
        R.check(h.get("content-type", "").startswith("text/javascript"), "GET /static/data/api.js: text/javascript",
                h.get("content-type"))
    for path in ("/", "/static/index.html"):
        st, h, b = ctx.get(path)
        ct = h.get("content-type", "")
        if st == 200:
            R.check(ct.startswith("text/html") and b.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")),
                    "GET %s: HTML" % path, (ct, b[:40]))
        else:
            R.check(st == 404 and is_json_error(st, h, b), "GET %s: 404 JSON (web/index.html not built yet)" % path, st)
    ctx.ensure_alive("section 1")


def section_stable_ids(ctx, args):
    """Ids the same after a restart, with relative paths, in another order."""
    R.section("1b. stable trace ids across restarts")
    before = {p: t["id"] for p, t in ctx.traces.items()}
    corpus_files = [f for f in ctx.files if f.startswith(os.path.abspath(args.corpus) + os.sep)]
    rel = [os.path.relpath(f, args.corpus) for f in reversed(corpus_files)]
    srv = Server(args.traceview, rel, cwd=args.corpus)
    try:
        srv.start()
        c = Client(srv.port)
        st, h, j, b = c.get_json("/api/traces")
        after = {t["name"]: t["id"] for t in (j or {}).get("traces", [])}
        diffs = ["%s: %s then %s" % (os.path.basename(p), before.get(p), after.get(os.path.basename(p)))
                 for p in corpus_files if before.get(p) != after.get(os.path.basename(p))]
        R.errors("restart with relative paths in reverse order: same ids", diffs)
        rel_listed = [t["path"] for t in (j or {}).get("traces", []) if not os.path.isabs(t["path"])]
        if rel_listed:  # docs/api.md shows an absolute path; the id does use the absolute one
            R.info("note: /api/traces lists relative paths as given on the command line: %s" % rel_listed[:2])
        # ETag of the same tile is the same after the restart (immutable tiles).
        p0 = corpus_files[0]
        tid = before[p0]
        q = "/api/traces/%s/tile?track=0&level=20&index=0" % tid
        _, h1, _ = ctx.get(q)
        _, h2, _ = c.request(q)
        R.check(h1.get("etag") and h1.get("etag") == h2.get("etag"), "tile ETag identical after a restart",
                (h1.get("etag"), h2.get("etag")))
        c.close()
    finally:
        rc = srv.stop()
    R.check(rc == 0, "SIGTERM stops the server with exit status 0", rc)


# ---------------------------------------------------------------- section 2

def fetch_tiles(client, tid, track, level, duration):
    """All tiles covering [0, duration] at `level`."""
    span = BUCKETS << level
    n = duration // span + 1
    out = []
    for i in range(n):
        st, h, b = client.request("/api/traces/%s/tile?track=%d&level=%d&index=%d" % (tid, track, level, i))
        out.append((i, st, h, b))
    return out


def check_thread_tiles(tiles, track, level, max_depth, expect_slices, errs, stats=None):
    """Per-tile invariants and totals. Returns (distinct slices {id: (start,
    dur, depth)}, summaries per absolute bucket {b: [count, busy]}, instants
    total, items of the largest tile)."""
    w = 1 << level
    distinct = {}
    summ = collections.defaultdict(lambda: [0, 0])
    n_inst = 0
    largest = (0, None)
    for index, st, h, b in tiles:
        where = "L%d i%d" % (level, index)
        if st != 200:
            errs.append("%s: status %s" % (where, st))
            continue
        try:
            t = json.loads(b)
        except ValueError:
            errs.append("%s: not JSON" % where)
            continue
        se = shape_errors(t, THREAD_TILE_SPEC)
        if se:
            errs.append("%s: %s" % (where, se[0]))
            continue
        t0 = index * BUCKETS * w
        t1 = t0 + BUCKETS * w
        if (t["track"], t["level"], t["index"], t["t0"], t["bucket_ns"]) != (track, level, index, t0, w):
            errs.append("%s: header %s" % (where, (t["track"], t["level"], t["index"], t["t0"], t["bucket_ns"])))
        sl, su, ins = t["slices"], t["summaries"], t["instants"]
        n = len(sl["id"])
        if any(len(sl[k]) != n for k in sl):
            errs.append("%s: slice columns of different lengths" % where)
            continue
        m = len(su["bucket"])
        if any(len(su[k]) != m for k in su):
            errs.append("%s: summary columns of different lengths" % where)
            continue
        strings = t["strings"]
        if "0" in strings:
            errs.append("%s: string id 0 listed" % where)
        per_depth_sl = collections.Counter()
        per_depth_su = collections.Counter()
        seen_ids = set()
        for k in range(n):
            i, s, d, dep = sl["id"][k], sl["start"][k], sl["dur"][k], sl["depth"][k]
            if i in seen_ids:
                errs.append("%s: slice %d twice in one tile" % (where, i))
            seen_ids.add(i)
            if d < w:
                errs.append("%s: slice %d dur %d < bucket_ns %d" % (where, i, d, w))
            if not (s < t1 and s + d > t0):
                errs.append("%s: slice %d [%d, %d) does not overlap [%d, %d)" % (where, i, s, s + d, t0, t1))
            if not (0 <= dep < max(max_depth, 1)):
                errs.append("%s: slice %d depth %d, max_depth %d" % (where, i, dep, max_depth))
            for col in ("name", "detail"):
                sid = sl[col][k]
                if sid != 0 and str(sid) not in strings:
                    errs.append("%s: %s string %d not in strings" % (where, col, sid))
            old = distinct.get(i)
            if old is not None and old != (s, d, dep):
                errs.append("%s: slice %d differs between tiles: %s vs %s" % (where, i, old, (s, d, dep)))
            distinct[i] = (s, d, dep)
            per_depth_sl[dep] += 1
        seen_cells = set()
        for k in range(m):
            bk, dep, cnt, busy, lg, nm = (su["bucket"][k], su["depth"][k], su["count"][k], su["busy"][k],
                                          su["longest"][k], su["name"][k])
            if not 0 <= bk < BUCKETS:
                errs.append("%s: summary bucket %d" % (where, bk))
            if not (0 <= dep < max(max_depth, 1)):
                errs.append("%s: summary depth %d, max_depth %d" % (where, dep, max_depth))
            if (bk, dep) in seen_cells:
                errs.append("%s: two summaries for bucket %d depth %d" % (where, bk, dep))
            seen_cells.add((bk, dep))
            if cnt < 1:
                errs.append("%s: summary count %d" % (where, cnt))
            if not (0 <= busy <= cnt * w):
                errs.append("%s: summary busy %d, count %d, bucket_ns %d" % (where, busy, cnt, w))
            if stats is not None and lg < 0:
                stats["longest_missing"] += 1
                if stats["longest_example"] is None:
                    stats["longest_example"] = (where, bk, dep, cnt, busy, lg, nm)
            if stats is not None and lg >= 0:
                stats["longest_ids"].append((track, level, index, bk, dep, lg, cnt))
            if nm != 0 and str(nm) not in strings:
                errs.append("%s: summary name %d not in strings" % (where, nm))
            summ[index * BUCKETS + bk][0] += cnt
            summ[index * BUCKETS + bk][1] += busy
            per_depth_su[dep] += 1
        for dep, c in per_depth_sl.items():
            if c > BUCKETS + 1:
                errs.append("%s: %d slices at depth %d (bound 257)" % (where, c, dep))
        for dep, c in per_depth_su.items():
            if c > BUCKETS:
                errs.append("%s: %d summaries at depth %d (bound 256)" % (where, c, dep))
        if len(ins["bucket"]) != len(ins["count"]) or len(ins["bucket"]) != len(ins["name"]):
            errs.append("%s: instant columns of different lengths" % where)
        else:
            if ins["bucket"] != sorted(set(ins["bucket"])) or any(not 0 <= x < BUCKETS for x in ins["bucket"]):
                errs.append("%s: instant buckets %s" % (where, ins["bucket"][:5]))
            n_inst += sum(ins["count"])
        if n + m > largest[0]:
            largest = (n + m, (level, index, n, m, len(b)))
    return distinct, summ, n_inst, largest


def python_level(slices_rel, level):
    """Python's expectation at `level`: wide (start, dur) sorted, narrow per
    absolute bucket [count, busy]."""
    w = 1 << level
    wide = sorted((s, d) for s, d in slices_rel if d >= w)
    narrow = collections.defaultdict(lambda: [0, 0])
    for s, d in slices_rel:
        if d < w:
            c = narrow[s >> level]
            c[0] += 1
            c[1] += d
    return wide, narrow


def levels_for(meta_max_level, duration, limit):
    out = []
    for L in range(0, meta_max_level + 1):
        if duration // (BUCKETS << L) + 1 <= limit:
            out.append(L)
    if meta_max_level not in out:
        out.append(meta_max_level)
    return out


def section_tiles(ctx):
    R.section("2. tile accounting against Python's reading of each trace")
    for path in ctx.files:
        t = ctx.traces.get(path)
        if not t or t["id"] not in ctx.metas:
            continue
        tid, name = t["id"], t["name"]
        meta = ctx.metas[tid]
        t_start = time.time()
        raw, events = load_events(path)
        model = Model(events)
        ctx.models[tid] = model
        ctx.raws[tid] = raw
        origin = int(meta["origin_ns"])
        dur = meta["duration_ns"]
        R.check(origin == model.origin and dur == model.duration,
                "%s: origin_ns and duration_ns equal Python's time range" % name,
                "server %d + %d, python %d + %d" % (origin, dur, model.origin, model.duration))
        threads = [(p["pid"], tr) for p in meta["processes"] for tr in p["tracks"] if tr["kind"] == "thread" and tr.get("lane") is None]
        counters = [(p["pid"], tr) for p in meta["processes"] for tr in p["tracks"] if tr["kind"] == "counter"]
        # meta vs Python: slices per (pid, tid), the set of listed threads, totals.
        errs = []
        server_keys = set()
        for pid, tr in threads:
            key = (pid, tr["tid"])
            server_keys.add(key)
            want = len(model.slices.get(key, []))
            if tr["slices"] != want:
                errs.append("pid %s tid %s: meta %d slices, python %d" % (pid, tr["tid"], tr["slices"], want))
            if "instants" in tr and tr["instants"] != len(model.instants.get(key, [])):
                errs.append("pid %s tid %s: meta %d instants, python %d" % (pid, tr["tid"], tr["instants"],
                                                                         len(model.instants.get(key, []))))
        py_keys = {k for k in model.listed if isinstance(k[0], int) and isinstance(k[1], int)}
        if py_keys != server_keys:
            errs.append("threads only in meta %s, only in python %s" % (sorted(server_keys - py_keys)[:5],
                                                                        sorted(py_keys - server_keys)[:5]))
        c = meta["counts"]
        # async lanes (checked against their own model in tests/corpus) add to the total
        n_lanes = sum(tr["slices"] for p in meta["processes"] for tr in p["tracks"]
                      if tr.get("lane") is not None)
        n_py = sum(len(v) for v in model.slices.values()) + n_lanes
        if c["slices"] != n_py or c["slices"] - n_lanes != sum(tr["slices"] for _, tr in threads):
            errs.append("counts.slices %d, python %d, sum over tracks %d" % (c["slices"], n_py, sum(tr["slices"] for _, tr in threads)))
        if c["llvm_totals"] != model.totals:
            errs.append("counts.llvm_totals %d, python %d" % (c["llvm_totals"], model.totals))
        if c["instants"] != sum(len(v) for v in model.instants.values()):
            errs.append("counts.instants %d, python %d" % (c["instants"], sum(len(v) for v in model.instants.values())))
        n_cs = sum(len(v) for v in model.counters.values())
        if c["counter_samples"] != n_cs or c["counter_samples"] != sum(tr["samples"] for _, tr in counters):
            errs.append("counts.counter_samples %d, python %d, sum over tracks %d" % (
                c["counter_samples"], n_cs, sum(tr["samples"] for _, tr in counters)))
        R.errors("%s: meta slice/instant/counter counts per track and in total equal Python's "
                 "(X minus LLVM totals, plus B)" % name, errs)
        # Order: processes by (sort index, pid), tracks by (sort index, tid), counters after threads.
        errs = []
        pk = [(p["sort_index"] is None, p["sort_index"] or 0, p["pid"]) for p in meta["processes"]]
        if pk != sorted(pk):
            errs.append("processes out of order: %s" % pk[:6])
        for p in meta["processes"]:
            kinds = [tr["kind"] for tr in p["tracks"]]
            if kinds != sorted(kinds, key=lambda k: k != "thread"):
                errs.append("pid %s: a counter before a thread" % p["pid"])
            tk = [(tr["sort_index"] is None, tr["sort_index"] or 0, tr["tid"]) for tr in p["tracks"] if tr["kind"] == "thread" and tr.get("lane") is None]
            if tk != sorted(tk):
                errs.append("pid %s: threads out of order %s" % (p["pid"], tk[:6]))
        R.errors("%s: processes and tracks in documented sort order" % name, errs)

        # Tiles, track by track.
        busiest = sorted((x for x in threads if x[1]["slices"]), key=lambda x: -x[1]["slices"])[:BUSY_TRACKS]
        busy_tracks = {tr["track"] for _, tr in busiest}
        n_requests = 0
        acct_errs, inv_errs, py_errs, dur_errs = [], [], [], []
        stats = {"longest_missing": 0, "longest_example": None, "longest_ids": []}
        top_depth0_busy = 0
        checked_levels = {}
        all_x_only = not model.has_be
        ctx.tile_samples = getattr(ctx, "tile_samples", {})
        for pid, tr in threads:
            key = (pid, tr["tid"])
            rel = [(s - origin, d) for s, d in model.slices.get(key, [])]
            total_dur = sum(d for _, d in rel)
            limit = TILE_LIMIT_BUSY if tr["track"] in busy_tracks else TILE_LIMIT_OTHER
            levels = levels_for(meta["max_level"], dur, limit)
            checked_levels[tr["track"]] = levels
            for L in levels:
                tiles = fetch_tiles(ctx.client, tid, tr["track"], L, dur)
                n_requests += len(tiles)
                errs = []
                distinct, summ, n_inst, _ = check_thread_tiles(tiles, tr["track"], L, tr["max_depth"],
                                                               tr["slices"], errs, stats)
                inv_errs += ["track %d %s" % (tr["track"], e) for e in errs]
                got = len(distinct) + sum(v[0] for v in summ.values())
                if got != tr["slices"]:
                    acct_errs.append("track %d L%d: %d distinct slices + %d summarized = %d, meta says %d" % (
                        tr["track"], L, len(distinct), got - len(distinct), got, tr["slices"]))
                if "instants" in tr and n_inst != tr["instants"]:
                    acct_errs.append("track %d L%d: %d instants in tiles, meta %d" % (tr["track"], L, n_inst, tr["instants"]))
                tile_dur = sum(v[1] for v in distinct.values()) + sum(v[1] for v in summ.values())
                if tile_dur != total_dur:
                    dur_errs.append("track %d L%d: tiles sum to %d ns, python %d ns" % (tr["track"], L, tile_dur, total_dur))
                wide, narrow = python_level(rel, L)
                mine = sorted((s, d) for s, d, _ in distinct.values())
                if mine != wide:
                    a, b2 = collections.Counter(mine), collections.Counter(wide)
                    py_errs.append("track %d L%d: wide slices differ: only in tiles %s, only in python %s" % (
                        tr["track"], L, list((a - b2).elements())[:3], list((b2 - a).elements())[:3]))
                summ_d = {k: tuple(v) for k, v in summ.items()}
                narrow_d = {k: tuple(v) for k, v in narrow.items()}
                if summ_d != narrow_d:
                    bad = [k for k in set(summ_d) | set(narrow_d) if summ_d.get(k) != narrow_d.get(k)]
                    bad.sort()
                    py_errs.append("track %d L%d: %d buckets differ, e.g. abs bucket %d tiles %s python %s" % (
                        tr["track"], L, len(bad), bad[0], summ_d.get(bad[0]), narrow_d.get(bad[0])))
                if L == meta["max_level"]:
                    for _, st, h, b in tiles[:1]:
                        if st == 200:
                            j = json.loads(b)
                            su = j["summaries"]
                            top_depth0_busy += sum(bz for bz, dp in zip(su["busy"], su["depth"]) if dp == 0)
                            top_depth0_busy += sum(d for d, dp in zip(j["slices"]["dur"], j["slices"]["depth"]) if dp == 0)
                if tr["track"] in busy_tracks and distinct and tr["track"] not in ctx.tile_samples.get(tid, {}):
                    ctx.tile_samples.setdefault(tid, {})[tr["track"]] = distinct  # the finest level checked
        R.info("%s: %d thread tracks, %d tile requests (levels %s for the busiest)" % (
            name, len(threads), n_requests,
            "%d..%d" % (min(checked_levels[busiest[0][1]["track"]]), max(checked_levels[busiest[0][1]["track"]])) if busiest else "-"))
        R.errors("%s: every tile 200, invariants (overlap, dur >= bucket_ns, buckets 0..255, busy <= count*bucket_ns, "
                 "depth < max_depth, per-depth bounds, strings)" % name, inv_errs)
        R.errors("%s: distinct slice ids + summary counts == meta slices, at every checked level" % name, acct_errs)
        R.errors("%s: summed slice and summary durations equal Python's per-track total%s" % (
            name, "" if all_x_only else " (B/E matched in Python too)"), dur_errs)
        R.errors("%s: tile slices == Python's slices with dur >= bucket_ns; summaries per bucket == Python's narrow ones" % name,
                 py_errs)
        R.check(stats["longest_missing"] == 0,
                "%s: every summary names its longest slice (`longest` is an event id)" % name,
                "%d summaries with longest = -1 (and name 0), e.g. %s (tile, bucket, depth, count, busy, longest, name)"
                % (stats["longest_missing"], stats["longest_example"]))
        # A sample of `longest` ids: the event starts in that bucket, is narrow, at that depth.
        rng = random.Random(7)
        sample = rng.sample(stats["longest_ids"], min(10, len(stats["longest_ids"])))
        errs = []
        for (track, L, index, bk, dep, lg, cnt) in sample:
            w = 1 << L
            lo = index * BUCKETS * w + bk * w
            st, h, ej, b = ctx.get_json("/api/traces/%s/event?track=%d&id=%d" % (tid, track, lg))
            if st != 200 or not isinstance(ej, dict):
                errs.append("track %d L%d: longest %d status %s" % (track, L, lg, st))
            elif not (lo <= ej["start"] < lo + w and ej["dur"] < w and ej["depth"] == dep):
                errs.append("track %d L%d i%d bucket %d depth %d: longest %d starts %d dur %d depth %d" % (
                    track, L, index, bk, dep, lg, ej["start"], ej["dur"], ej["depth"]))
        R.errors("%s: a sample of %d summary `longest` ids: narrow, start in their bucket, at their depth" % (
            name, len(sample)), errs)
        R.info("%s: checked in %.1f s" % (name, time.time() - t_start))

        # Overview: sum of busy == summed top-level durations (to rounding).
        st, h, j, b = ctx.get_json("/api/traces/%s/overview?buckets=4096" % tid)
        if st == 200 and isinstance(j, dict):
            total = sum(j["busy"])
            n_threads = len(threads)
            tol = 4096 + sum(tr["slices"] for _, tr in threads)
            bw = j["bucket_ns"]
            over = [i for i, v in enumerate(j["busy"]) if v > bw * n_threads + 1 or v < 0]
            R.check(abs(total - top_depth0_busy) <= tol and not over and len(j["busy"]) == 4096,
                    "%s: overview?buckets=4096 sums to the top-level busy time of the tiles (%d vs %d ns), "
                    "no bucket above bucket_ns * threads" % (name, total, top_depth0_busy), over[:5])
            st1, _, j1, _ = ctx.get_json("/api/traces/%s/overview?buckets=1" % tid)
            st7, _, j7, _ = ctx.get_json("/api/traces/%s/overview?buckets=7" % tid)
            ok = st1 == 200 and st7 == 200 and len(j1["busy"]) == 1 and len(j7["busy"]) == 7
            R.check(ok and abs(j1["busy"][0] - total) <= 4096 and abs(sum(j7["busy"]) - total) <= 4096
                    and abs(j1["bucket_ns"] - (dur + 1)) <= 1,
                    "%s: overview buckets=1 and buckets=7 carry the same total; buckets=1 spans the trace" % name,
                    (j1 and j1.get("bucket_ns"), dur))
        else:
            R.check(False, "%s: overview?buckets=4096" % name, st)

        # Counter tiles vs Python.
        for pid, tr in counters:
            samples = model.counters.get((pid, tr["name"], tr["series"]), [])
            errs = []
            if len(samples) != tr["samples"]:
                errs.append("meta %d samples, python %d" % (tr["samples"], len(samples)))
            if samples and (tr["min"] != min(v for _, v in samples) or tr["max"] != max(v for _, v in samples)):
                errs.append("meta min/max %s/%s, python %s/%s" % (tr["min"], tr["max"], min(v for _, v in samples),
                                                                  max(v for _, v in samples)))
            for L in levels_for(meta["max_level"], dur, 600):
                w = 1 << L
                exp = collections.OrderedDict()
                for ts, v in samples:
                    bkt = (ts - origin) >> L
                    e = exp.get(bkt)
                    exp[bkt] = [v, v, v] if e is None else [min(e[0], v), max(e[1], v), v]
                got = {}
                for index, st, h, b in fetch_tiles(ctx.client, tid, tr["track"], L, dur):
                    if st != 200:
                        errs.append("L%d i%d: status %d" % (L, index, st))
                        continue
                    j = json.loads(b)
                    se = shape_errors(j, COUNTER_TILE_SPEC)
                    if se:
                        errs.append("L%d i%d: %s" % (L, index, se[0]))
                        continue
                    if j["buckets"] != sorted(set(j["buckets"])) or any(not 0 <= x < BUCKETS for x in j["buckets"]):
                        errs.append("L%d i%d: buckets not increasing in 0..255" % (L, index))
                    for k, bkt in enumerate(j["buckets"]):
                        got[index * BUCKETS + bkt] = [j["min"][k], j["max"][k], j["last"][k]]
                if got != dict(exp):
                    bad = sorted(k for k in set(got) | set(exp) if got.get(k) != exp.get(k))
                    errs.append("L%d: %d buckets differ, e.g. %d tiles %s python %s" % (L, len(bad), bad[0], got.get(bad[0]),
                                                                                    exp.get(bad[0])))
            R.errors("%s: counter track %d (%s/%s): samples, min/max, and per-bucket min/max/last in tiles equal Python's" % (
                name, tr["track"], tr["name"], tr["series"]), errs)
        ctx.ensure_alive("tiles of %s" % name)


def section_above_top(ctx):
    """Levels above meta.max_level are still within the documented parameter
    range: they must answer (everything in bucket 0), not crash."""
    R.section("2b. tiles above the top level (level max_level+1 .. 54)")
    for path in ctx.files:
        t = ctx.traces.get(path)
        if not t or t["id"] not in ctx.metas:
            continue
        tid, meta = t["id"], ctx.metas[t["id"]]
        thread = max((tr for p in meta["processes"] for tr in p["tracks"] if tr["kind"] == "thread" and tr.get("lane") is None),
                     key=lambda tr: tr["slices"])
        for L in sorted({meta["max_level"] + 1, 54}):
            if L > 54:
                continue
            q = "/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, thread["track"], L)
            try:
                st, h, b = ctx.get(q)
            except (OSError, http.client.HTTPException) as e:
                st, b = "connection dropped (%s)" % e.__class__.__name__, b""
            ok = st == 200
            detail = st
            if ok:
                errs = []
                distinct, summ, _, _ = check_thread_tiles([(0, st, h, b)], thread["track"], L, thread["max_depth"],
                                                          thread["slices"], errs)
                got = len(distinct) + sum(v[0] for v in summ.values())
                ok = not errs and got == thread["slices"]
                detail = errs[:2] or "accounted %d of %d" % (got, thread["slices"])
            R.check(ok, "%s: GET %s (meta max_level %d) answers 200 with every slice accounted" % (
                t["name"], q, meta["max_level"]), detail)
            if not ctx.ensure_alive("GET " + q):
                R.info("reproduce: traceview serve %s --port 0; curl 'http://127.0.0.1:PORT%s'" % (path, q))


# ---------------------------------------------------------------- section 4

def decode_at(raw, off, parse_float=None):
    """The JSON object starting at byte `off` of the file."""
    window = 1 << 16
    while True:
        text = raw[off:off + window].decode("utf-8", "replace")
        try:
            obj, _ = json.JSONDecoder(parse_float=parse_float).raw_decode(text)
            return obj
        except ValueError:
            if off + window >= len(raw) or window > (1 << 26):
                raise
            window *= 4


def looks_mangled(s):
    return s.startswith(("_R", "_Z", "__Z"))


def check_event(ctx_get, tid, track, eid, raw, origin, tag, errs):
    st, h, j, b = ctx_get("/api/traces/%s/event?track=%d&id=%d" % (tid, track, eid))
    if st != 200:
        errs.append("%s: event %d status %s" % (tag, eid, st))
        return None
    se = shape_errors(j, EVENT_SPEC)
    if se:
        errs.append("%s: event %d %s" % (tag, eid, se[:2]))
        return None
    off = j["offset"]
    if not (0 <= off < len(raw)) or raw[off:off + 1] != b"{":
        errs.append("%s: event %d offset %d does not point at '{' (%r)" % (tag, eid, off, raw[off:off + 10]))
        return j
    try:
        ev = decode_at(raw, off)
    except ValueError as e:
        errs.append("%s: event %d: no JSON object at offset %d (%s)" % (tag, eid, off, e))
        return j
    if j["id"] != eid or j["track"] != track:
        errs.append("%s: event %d echoes id %s track %s" % (tag, eid, j["id"], j["track"]))
    if ev.get("ph") not in ("X", "B"):
        errs.append("%s: event %d at offset %d has ph %r" % (tag, eid, off, ev.get("ph")))
    args = ev.get("args", {})
    if j["args"] != (args if isinstance(args, dict) else {}):
        errs.append("%s: event %d args %s, file %s" % (tag, eid, json.dumps(j["args"])[:120], json.dumps(args)[:120]))
    nm = ev.get("name", "")
    if j["name"] != nm and not looks_mangled(nm):
        errs.append("%s: event %d name %r, file %r" % (tag, eid, j["name"], nm))
    if j["category"] != ev.get("cat", ""):
        errs.append("%s: event %d category %r, file %r" % (tag, eid, j["category"], ev.get("cat")))
    det = args.get("detail") if isinstance(args, dict) else None
    if isinstance(det, str) and j["detail"] != det:
        errs.append("%s: event %d detail %r, file %r" % (tag, eid, j["detail"][:60], det[:60]))
    if isinstance(det, str) and not looks_mangled(det) and j["detail_demangled"] != det:
        errs.append("%s: event %d detail_demangled %r for an unmangled detail %r" % (tag, eid, j["detail_demangled"][:60], det[:60]))
    evd = decode_at(raw, off, parse_float=D)  # exact decimals for ts and dur
    ts = to_ns(evd.get("ts"))
    if ts is not None and j["start"] != ts - origin:
        errs.append("%s: event %d start %d, file ts gives %d" % (tag, eid, j["start"], ts - origin))
    if ev.get("ph") == "X":
        d = to_ns(evd.get("dur", 0))
        if d is not None and j["dur"] != max(d, 0):
            errs.append("%s: event %d dur %d, file %s" % (tag, eid, j["dur"], d))
    if not (0 <= j["self"] <= j["dur"]):
        errs.append("%s: event %d self %d, dur %d" % (tag, eid, j["self"], j["dur"]))
    if len(j["parents"]) != j["depth"]:
        errs.append("%s: event %d depth %d but %d parents" % (tag, eid, j["depth"], len(j["parents"])))
    child_start, child_depth = j["start"], j["depth"]
    for k, p in enumerate(j["parents"]):
        if not (p["start"] <= child_start <= p["start"] + p["dur"]):
            errs.append("%s: event %d parent %d [%d, %d] does not contain the start %d" % (
                tag, eid, p["id"], p["start"], p["start"] + p["dur"], child_start))
        st2, _, pj, _ = ctx_get("/api/traces/%s/event?track=%d&id=%d" % (tid, track, p["id"]))
        if st2 != 200 or not isinstance(pj, dict):
            errs.append("%s: parent %d status %s" % (tag, p["id"], st2))
            break
        if pj.get("depth") != child_depth - 1 or pj.get("start") != p["start"] or pj.get("dur") != p["dur"]:
            errs.append("%s: event %d parent %d: depth %s (want %d), start/dur %s/%s vs %s/%s" % (
                tag, eid, p["id"], pj.get("depth"), child_depth - 1, pj.get("start"), pj.get("dur"), p["start"], p["dur"]))
        if pj.get("parents") != j["parents"][k + 1:]:
            errs.append("%s: parent %d's own parents differ from the rest of the chain" % (tag, p["id"]))
        child_start, child_depth = p["start"], child_depth - 1
    return j


def check_crafted_parents(ctx, tid, meta, raw, origin):
    """S [25,26) us lies inside A [0,100) and C [15,30), not inside P [10,20)."""
    track = next(tr["track"] for p in meta["processes"] for tr in p["tracks"] if tr.get("tid") == 1)
    found = {}
    for eid in range(4):
        st, h, j, b = ctx.get_json("/api/traces/%s/event?track=%d&id=%d" % (tid, track, eid))
        if st == 200:
            found[j["args"].get("which")] = j
    errs = []
    check_event(ctx.get_json, tid, track, found.get("A", {}).get("id", 0), raw, origin, "crafted", errs)
    R.errors("crafted: /event args with escaped quotes, backslashes, '},{' and \\u00e9 equal the file's", errs)
    if sorted(found) != ["A", "C", "P", "S"]:
        R.check(False, "crafted: events A, P, C, S are ids 0..3 of tid 1", sorted(found))
        return
    s = found["S"]
    got = [p["name"] for p in s["parents"]]
    R.check(got == ["C", "A"],
            "crafted (overlapping slices): S [25,26) has parents [C, A], the slices that enclose it "
            "(depth %d; P [10,20) ended before S)" % s["depth"], "parents %s" % got)


def section_events(ctx):
    R.section("4. /event: args from the file at `offset`, parents chain")
    for path in ctx.files:
        t = ctx.traces.get(path)
        if not t or t["id"] not in ctx.metas or t["id"] not in ctx.raws:
            continue
        tid, name, meta = t["id"], t["name"], ctx.metas[t["id"]]
        origin = int(meta["origin_ns"])
        raw = ctx.raws[tid]
        if name == CRAFTED:
            check_crafted_parents(ctx, tid, meta, raw, origin)
            continue
        samples = getattr(ctx, "tile_samples", {}).get(tid, {})
        rng = random.Random(11)
        errs = []
        n = 0
        for track, distinct in sorted(samples.items())[:3]:
            items = sorted(distinct.items())
            deepest = max(items, key=lambda kv: kv[1][2])
            picks = [deepest] + rng.sample(items, min(8, len(items)))
            for eid, (s, d, dep) in picks:
                j = check_event(ctx.get_json, tid, track, eid, raw, origin, "track %d" % track, errs)
                n += 1
                if j and (j["start"], j["dur"], j["depth"]) != (s, d, dep):
                    errs.append("track %d event %d: start/dur/depth %s, tile said %s" % (
                        track, eid, (j["start"], j["dur"], j["depth"]), (s, d, dep)))
        R.errors("%s: %d events: args == file's args at offset, name/cat/detail/start/dur, parents chain" % (name, n), errs)
    ctx.ensure_alive("section 4")


# ---------------------------------------------------------------- section 5

def section_hostile(ctx):
    R.section("5. hostile and malformed requests")
    t = next(iter(ctx.traces.values()))
    tid = t["id"]
    meta = ctx.metas.get(tid) or {}
    port = ctx.port()
    # A trace with a counter track for /event on a counter.
    ctr = None
    for tt in ctx.traces.values():
        m = ctx.metas.get(tt["id"])
        for p in (m or {}).get("processes", []):
            for tr in p["tracks"]:
                if tr["kind"] == "counter" and ctr is None:
                    ctr = (tt["id"], tr["track"])
    thread0 = next((tr["track"] for p in meta.get("processes", []) for tr in p["tracks"]
                    if tr["kind"] == "thread" and tr.get("lane") is None and tr["slices"] > 0), 0)
    base = "/api/traces/%s" % tid
    tile = base + "/tile?track=%d" % thread0

    def expect(path, want, what=None, method="GET", headers=None, body=None):
        what = what or "%s %s" % (method, path)
        try:
            st, h, b = ctx.get(path, method=method, headers=headers, body=body)
        except (OSError, http.client.HTTPException) as e:
            R.check(False, "%s -> %s" % (what, want), "connection dropped: %s" % e.__class__.__name__)
            ctx.ensure_alive(what)
            return None
        wants = want if isinstance(want, tuple) else (want,)
        ok = st in wants and (st < 400 or method == "HEAD" or is_json_error(st, h, b))
        R.check(ok, "%s -> %s%s" % (what, "/".join(map(str, wants)), " JSON error" if min(wants) >= 400 else ""),
                "got %s %s %r" % (st, h.get("content-type"), b[:100]))
        if not ctx.server.alive():
            ctx.ensure_alive(what)
        return st, h, b

    # Bad parameters.
    bad_params = [
        (tile + "&level=-1&index=0", 400), (tile + "&level=999&index=0", 400), (tile + "&level=55&index=0", 400),
        (tile + "&level=x&index=0", 400), (tile + "&level=&index=0", 400), (tile + "&level=1.5&index=0", 400),
        (tile + "&level=+1&index=0", 400), (tile + "&level=0x10&index=0", 400), (tile + "&level=1e1&index=0", 400),
        (tile + "&level=%201&index=0", 400),
        (tile + "&level=0&index=99999999999999999999", 400), (tile + "&level=0&index=-1", 400),
        (tile + "&level=0&index=9223372036854775807", 400), (tile + "&level=54&index=1", 400),
        (tile + "&level=0&index=" + "9" * 5000, (400, 414)),
        (tile + "&level=0", 400), (tile + "&index=0", 400), (base + "/tile?level=0&index=0", 400),
        (base + "/tile?track=abc&level=0&index=0", 400), (base + "/tile?track=-1&level=0&index=0", 400),
        (base + "/tile?track=99999&level=0&index=0", 404), (base + "/tile?track=2147483648&level=0&index=0", 400),
        (base + "/tile?track=18446744073709551616&level=0&index=0", 400),
        (tile + "&level=%FF%FE&index=0", 400), (tile + "&level=%C0%AE&index=0", 400),
        (tile + "&level=%00&index=0", 400), (tile + "&level=1%00x&index=0", 400),
        (base + "/tile?track=%00&level=0&index=0", 400), (tile + "&level=%E2%80%AE1&index=0", 400),
        (base + "/event?track=%d&id=-5" % thread0, 400), (base + "/event?track=%d&id=abc" % thread0, 400),
        (base + "/event?track=%d&id=99999999999" % thread0, 404), (base + "/event?track=%d" % thread0, 400),
        (base + "/event?track=%d&id=99999999999999999999" % thread0, 400),
        (base + "/overview?buckets=0", 400), (base + "/overview?buckets=-1", 400),
        (base + "/overview?buckets=4097", 400), (base + "/overview?buckets=abc", 400),
        (base + "/overview?buckets=%FF", 400), (base + "/overview?buckets=99999999999999999999999", 400),
    ]
    if ctr:
        bad_params.append(("/api/traces/%s/event?track=%d&id=0" % ctr, 404))
    for path, want in bad_params:
        expect(path, want)
    r = expect(base + "/overview?buckets=4096", 200)
    if r and r[0] == 200:
        R.check(len(json.loads(r[2])["busy"]) == 4096, "overview?buckets=4096 has 4096 buckets")
    # Error message stays valid JSON and printable for invalid UTF-8 and NUL.
    st, h, b = ctx.get(tile + "&level=%FF%00%22%5C&index=0")
    R.check(st == 400 and is_json_error(st, h, b), "error body for level=%FF%00\"\\ is valid JSON", b[:120])

    # Unknown ids and endpoints.
    for path in ("/api/traces/0000000000/meta", "/api/traces/0000000000/tile?track=0&level=0&index=0",
                 "/api/traces/%s0/meta" % tid, "/api/traces/" + "a" * 4000 + "/meta",
                 base + "/nope", base + "/meta/extra", base + "/tile/", base + "/../" + tid + "/meta",
                 "/api/nope", "/api", "/api/", "/nope", "/static/", "/static/nope.js",
                 "/api/traces/%2e%2e/meta", "/api/tracesX"):
        expect(path, 404)

    # Methods.
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"):
        expect("/api/traces", 405, method=method, body=b"{}" if method in ("POST", "PUT", "PATCH") else None)
    expect(base + "/meta", 405, method="POST", body=b"x" * 10000)
    expect(base + "/meta", 405, method="DELETE")
    st, h, b = ctx.get(base + "/meta", method="HEAD")
    R.check(st == 200 and b == b"", "HEAD meta: 200, no body", (st, len(b)))

    # Host header (DNS rebinding).
    for host, want in (("evil.example", 403), ("evil.example:%d" % port, 403), ("localhost:%d" % port, 200),
                       ("127.0.0.1:%d" % port, 200), ("LocalHost:%d" % port, 200), ("localhost", 200),
                       ("localhost:%d" % (port + 1 if port < 65535 else 1), 403), ("127.0.0.1.evil.example", 403),
                       ("localhost.evil.example:%d" % port, 403), ("127.0.0.2:%d" % port, 403),
                       ("127.0.0.1:%d@evil.example" % port, 403), ("", 403)):
        expect("/api/traces", want, "GET /api/traces with Host: %r" % host, headers={"Host": host})
    expect(base + "/meta", 403, "meta with Host: evil.example", headers={"Host": "evil.example"})
    expect(tile + "&level=0&index=0", 403, "tile with Host: evil.example", headers={"Host": "evil.example"})
    expect("/", (403,), "/ with Host: evil.example", headers={"Host": "evil.example"})
    r = raw_request(port, b"GET /api/traces HTTP/1.1\r\nConnection: close\r\n\r\n")
    R.check(r["status"] is not None and 400 <= r["status"] < 500, "HTTP/1.1 without Host -> 4xx", r["status"])
    r = raw_request(port, b"GET /api/traces HTTP/1.0\r\n\r\n")
    R.check(r["status"] == 403 and is_json_error(r["status"], r["headers"], r["body"]),
            "HTTP/1.0 without Host -> 403 JSON (Host check cannot be skipped)", (r["status"], r["body"][:80]))
    r = raw_request(port, ("GET /api/traces HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1:%d\r\n"
                           "Connection: close\r\n\r\n" % port).encode())
    R.check(r["status"] is not None and 400 <= r["status"] < 500, "two Host headers, the first evil -> 4xx",
            (r["status"], r["body"][:80]))
    ctx.ensure_alive("Host header checks")

    # CORS: no Access-Control-* even when asked.
    st, h, b = ctx.get("/api/traces", headers={"Origin": "http://evil.example"})
    R.check(st == 200 and not any(k.startswith("access-control-") for k in h),
            "GET with Origin: evil -> no Access-Control-* header", [k for k in h if k.startswith("access")])
    st, h, b = ctx.get("/api/traces", method="OPTIONS",
                       headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    R.check(st == 405 and not any(k.startswith("access-control-") for k in h),
            "CORS preflight OPTIONS -> 405, no Access-Control-* header", (st, h))

    # Raw, malformed requests.
    def raw_case(what, data, want=(400, 404), json_body=True, allow_close=False):
        try:
            r = raw_request(port, data)
        except OSError as e:
            r = {"status": None, "closed": True, "note": str(e), "headers": {}, "body": b""}
        st = r["status"]
        desc = "closed without an answer (%s)" % r["note"].strip() if st is None else "%s %r" % (st, r["body"][:80])
        ok = st in want if st is not None else allow_close
        if ok and st is not None and st >= 400 and json_body:
            ok = is_json_error(st, r["headers"], r["body"])
            if not ok:
                desc += " (body not a JSON error, Content-Type %s)" % r["headers"].get("content-type")
        R.check(ok, "%s -> %s%s" % (what, "/".join(map(str, want)), " or close" if allow_close else ""), desc)
        R.info("%s: %s" % (what, desc))
        ctx.ensure_alive(what)
        return r

    hdr = ("Host: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port).encode()
    for p in (b"/../../etc/passwd", b"/static/../CMakeLists.txt", b"/static/%2e%2e/%2e%2e/etc/passwd",
              b"/static/..%2f..%2fCMakeLists.txt", b"/static/....//....//etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd",
              b"/static/%00", b"/static/index.html%00.js", b"/%00", b"/static//etc/passwd",
              b"/static/%252e%252e/CMakeLists.txt", b"//etc/passwd", b"/static/..\\..\\CMakeLists.txt",
              b"/api/../../etc/passwd", b"/api/traces/../../../etc/passwd", b"/static/../../../../../../etc/passwd%00"):
        r = raw_case("GET " + p.decode(), b"GET " + p + b" HTTP/1.1\r\n" + hdr, want=(400, 404))
        if b"root:" in r["body"] or b"cmake_minimum_required" in r["body"]:
            R.check(False, "traversal %s served a file from disk!" % p.decode(), r["body"][:80])
    raw_case("raw bytes \\xff\\xfe in a parameter",
             ("GET %s&level=\xff\xfe&index=0 HTTP/1.1\r\n" % tile).encode("latin-1") + hdr, want=(400,))
    raw_case("raw NUL in the path", b"GET /api\x00/traces HTTP/1.1\r\n" + hdr, want=(400, 404), allow_close=True)
    raw_case("raw NUL in a parameter", ("GET %s&level=1\x00&index=0 HTTP/1.1\r\n" % tile).encode() + hdr,
             want=(400,), allow_close=True)
    raw_case("raw UTF-8 overlong in the path", b"GET /static/\xc0\xae\xc0\xae/CMakeLists.txt HTTP/1.1\r\n" + hdr,
             want=(400, 404))
    raw_case("100 KB URL", b"GET /api/traces?x=" + b"A" * 100000 + b" HTTP/1.1\r\n" + hdr, want=(414,),
             json_body=False, allow_close=True)
    raw_case("100 KB header", b"GET /api/traces HTTP/1.1\r\nX-Big: " + b"A" * 100000 + b"\r\n" + hdr,
             want=(431,), json_body=False, allow_close=True)
    raw_case("3000 small headers", b"GET /api/traces HTTP/1.1\r\n" +
             b"".join(b"X-H%d: v\r\n" % i for i in range(3000)) + hdr, want=(431,), json_body=False, allow_close=True)
    raw_case("garbage bytes (TLS ClientHello)", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",
             want=(400,), json_body=False, allow_close=True)
    raw_case("request line without version", b"GET /api/traces\r\n" + hdr, want=(400,), json_body=False, allow_close=True)
    raw_case("HTTP/9.9", b"GET /api/traces HTTP/9.9\r\n" + hdr, want=(400, 505), json_body=False, allow_close=True)
    raw_case("absolute-form URL to another host",
             b"GET http://evil.example/api/traces HTTP/1.1\r\n" + hdr, want=(400, 403, 404), allow_close=True)
    raw_case("chunked POST", b"POST /api/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + hdr +
             b"5\r\nhello\r\n0\r\n\r\n", want=(405,))
    # A client that connects and says nothing, and one that half-sends: the server still answers others.
    idle = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"GET /api/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        st, _, _ = Client(port, timeout=5).request("/api/traces")
        R.check(st == 200, "answers while an idle and a half-sent connection are open", st)
    except (OSError, http.client.HTTPException) as e:
        R.check(False, "answers while an idle and a half-sent connection are open", e)
    idle.close()
    half.close()

    # Caching: ETag, Cache-Control immutable, 304.
    q = tile + "&level=%d&index=0" % max(0, meta.get("max_level", 20) - 8)
    st, h, b = ctx.get(q)
    etag = h.get("etag")
    R.check(st == 200 and etag and "immutable" in h.get("cache-control", "") and "max-age=31536000" in h.get("cache-control", ""),
            "tile has ETag and Cache-Control: public, max-age=31536000, immutable", (etag, h.get("cache-control")))
    st2, h2, b2 = ctx.get(q, headers={"If-None-Match": etag or '"x"'})
    R.check(st2 == 304 and b2 == b"", "If-None-Match with that ETag -> 304, no body", (st2, len(b2)))
    R.check(st2 != 304 or h2.get("etag") == etag, "the 304 repeats the ETag", h2.get("etag"))
    st3, h3, b3 = ctx.get(q, headers={"If-None-Match": '"other"'})
    R.check(st3 == 200 and b3 == b, "If-None-Match with another ETag -> 200, same body", st3)
    st4, h4, _ = ctx.get(tile + "&level=%d&index=1" % max(0, meta.get("max_level", 20) - 8))
    R.check(st4 == 200 and h4.get("etag") and h4.get("etag") != etag, "different tiles, different ETags",
            (etag, h4.get("etag")))
    st5, h5, _ = ctx.get(q, headers={"If-None-Match": '"other", ' + (etag or "")})
    if st5 != 304:  # RFC 9110 says 304; browsers send one ETag, so only a note
        R.info("note: If-None-Match with a list containing the ETag gives %s, not 304 (RFC 9110 13.1.2)" % st5)
    st6, h6, _ = ctx.get(base + "/meta")
    R.check("immutable" not in h6.get("cache-control", ""), "meta is not marked immutable", h6.get("cache-control"))

    # 32 concurrent connections.
    errors = []
    lat = []

    def worker(k):
        c = Client(port, timeout=30)
        try:
            for i in range(40):
                t0 = time.perf_counter()
                st, h, b = c.request(tile + "&level=%d&index=%d" % (10 + (i % 8), (i * 7 + k) % 5))
                lat.append(time.perf_counter() - t0)
                if st != 200:
                    errors.append(st)
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
        finally:
            c.close()

    ths = [threading.Thread(target=worker, args=(k,)) for k in range(32)]
    t0 = time.time()
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    R.check(not errors, "32 concurrent keep-alive connections x 40 tiles: all 200", errors[:5])
    R.info("concurrent: %d requests in %.2f s" % (len(lat), time.time() - t0))
    ctx.ensure_alive("section 5")
    R.check(not ACAO_SEEN, "no Access-Control-* header in any of the %d responses so far" % N_RESPONSES[0], ACAO_SEEN[:3])


# ---------------------------------------------------------------- section 6

def section_port(args, trace):
    R.section("6. port handling")
    # N held by a plain listening socket.
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    n = blocker.getsockname()[1]
    srv = Server(args.traceview, [trace], port=n)
    try:
        srv.start()
        R.check(srv.port != n, "--port %d (held by a listening socket): serves on another port" % n, srv.port)
        st, _, _ = Client(srv.port).request("/api/traces")
        R.check(st == 200, "... and answers there", st)
    except RuntimeError as e:
        R.check(False, "--port %d held by another socket: still serves" % n, e)
    finally:
        srv.stop()
    # --quiet hides the notice; without --quiet it must be said.
    srv = Server(args.traceview, [trace], port=n)
    srv.cmd = lambda: [args.traceview, "serve", trace, "--port", str(n)]
    try:
        srv.start()
        pat = r"port %d .*(not available|in use)" % n
        for _ in range(40):  # stderr is read by another thread
            err = "\n".join(srv.stderr + srv.stdout)
            if re.search(pat, err):
                break
            time.sleep(0.05)
        R.check(re.search(r"port %d .*(not available|in use)" % n, err) is not None and srv.port != n,
                "without --quiet the server says port %d is taken and names the new one" % n, err[-300:])
    except RuntimeError as e:
        R.check(False, "--port %d held (no --quiet)" % n, e)
    finally:
        srv.stop()
        blocker.close()

    # N held by another traceview.
    a = Server(args.traceview, [trace])
    b = None
    try:
        a.start()
        b = Server(args.traceview, [trace], port=a.port)
        b.start()
        R.check(b.port != a.port, "a second traceview with --port %d (held by the first): picks another port" % a.port,
                "both serve on %d (SO_REUSEPORT: the kernel splits connections between them)" % b.port)
    except RuntimeError as e:
        R.check(False, "a second traceview on a held port", e)
    finally:
        if b:
            b.stop()
        a.stop()

    # Bad --port values are usage errors.
    for bad in ("abc", "-1", "65536", "99999999999999999999", ""):
        try:
            p = subprocess.run([args.traceview, "serve", trace, "--port", bad, "--quiet"], capture_output=True, timeout=20)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout (it served)"
        R.check(rc == 2, "serve --port %r exits 2" % bad, rc)


# ---------------------------------------------------------------- section 3

def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[k]


def section_big(args, workdir):
    R.section("3. item bound on a ~7,000,000-event trace")
    big = os.path.join(workdir, "big7m.json")
    try:
        t0 = time.time()
        p = subprocess.run([args.gen_trace, "--events", str(args.big_events), "--seed", "3", "-o", big],
                           capture_output=True, timeout=600)
        R.check(p.returncode == 0 and os.path.exists(big), "gen_trace --events %d" % args.big_events, p.stderr[-200:])
        if p.returncode != 0:
            return
        R.info("generated %.2f GB in %.1f s: %s" % (os.path.getsize(big) / 1e9, time.time() - t0,
                                                    p.stderr.decode().strip()))
        srv = Server(args.traceview, [big], ready_timeout=600)
        srv.cmd = lambda: [args.traceview, "serve", big, "--port", "0"]  # not quiet: the early URL line
        try:
            srv.start_process()
            # While indexing: /api/traces says so, /progress moves, /meta and tiles are 409.
            early = srv.early_port()
            if R.check(early is not None, "the URL is printed on stderr before indexing finishes", srv.stderr[-3:]):
                c = Client(early)
                st, h, j, b = c.get_json("/api/traces")
                tr0 = (j or {}).get("traces", [{}])[0]
                if tr0.get("state") == "indexing":
                    errs = []
                    tid0 = tr0["id"]
                    st, h, pj, b = c.get_json("/api/traces/%s/progress" % tid0)
                    if st != 200 or shape_errors(pj, PROGRESS_SPEC) or pj["state"] not in ("indexing", "ready") \
                            or not (0 <= pj["done_bytes"] <= max(pj["total_bytes"], 0) or pj["state"] == "ready"):
                        errs.append("progress %s %s" % (st, b[:120]))
                    if not (0.0 <= tr0.get("progress", -1) <= 1.0):
                        errs.append("progress %s in /api/traces" % tr0.get("progress"))
                    for q in ("/meta", "/tile?track=0&level=20&index=0", "/event?track=0&id=0", "/overview"):
                        st, h, b = c.request("/api/traces/%s%s" % (tid0, q))
                        if not (st == 409 and is_json_error(st, h, b)) and not st == 200:
                            errs.append("%s while indexing: %s %r" % (q, st, b[:80]))
                    R.errors("while indexing: state indexing, /progress, 409 JSON for meta/tile/event/overview", errs)
                else:
                    R.info("indexing finished before the first request (state %s); 409 not checked" % tr0.get("state"))
                c.close()
            srv.wait_ready()
            R.info("ready to serve after %.1f s" % srv.ready_seconds)
            c = Client(srv.port)
            st, _, j, _ = c.get_json("/api/traces")
            tid = j["traces"][0]["id"]
            st, _, meta, _ = c.get_json("/api/traces/%s/meta" % tid)
            R.check(st == 200, "big trace meta 200", st)
            dur = meta["duration_ns"]
            threads = [tr for p in meta["processes"] for tr in p["tracks"] if tr["kind"] == "thread" and tr.get("lane") is None]
            R.info("%d slices on %d thread tracks, duration %.2f s, max_level %d" % (
                meta["counts"]["slices"], len(threads), dur / 1e9, meta["max_level"]))
            busiest = sorted(threads, key=lambda tr: -tr["slices"])[:args.big_tracks]
            times = []
            by_level = collections.defaultdict(list)
            largest = (0, None)
            largest_bytes = (0, None)
            inv, acct = [], []
            n_tiles = 0
            for tr in busiest:
                for L in range(meta["max_level"], -1, -1):
                    if dur // (BUCKETS << L) + 1 > args.big_tiles:
                        break
                    tiles = []
                    for i in range(dur // (BUCKETS << L) + 1):
                        t1 = time.perf_counter()
                        st, h, b = c.request("/api/traces/%s/tile?track=%d&level=%d&index=%d" % (tid, tr["track"], L, i))
                        times.append(time.perf_counter() - t1)
                        by_level[L].append(times[-1])
                        tiles.append((i, st, h, b))
                        if len(b) > largest_bytes[0]:
                            largest_bytes = (len(b), (tr["track"], L, i))
                    n_tiles += len(tiles)
                    errs = []
                    distinct, summ, _, lg = check_thread_tiles(tiles, tr["track"], L, tr["max_depth"], tr["slices"], errs)
                    inv += ["track %d %s" % (tr["track"], e) for e in errs]
                    got = len(distinct) + sum(v[0] for v in summ.values())
                    if got != tr["slices"]:
                        acct.append("track %d L%d: %d accounted, meta %d" % (tr["track"], L, got, tr["slices"]))
                    if lg[0] > largest[0]:
                        largest = (lg[0], (tr["track"],) + lg[1])
            R.errors("%d tiles of the %d busiest tracks (levels %d down to %d tiles per level): at most 257 slices "
                     "and 256 summaries per depth, invariants" % (n_tiles, len(busiest), meta["max_level"], args.big_tiles), inv)
            R.errors("big trace: distinct slices + summary counts == track slices at every level fetched", acct)
            if largest[1]:
                tr_, L_, i_, ns_, nm_, nb_ = largest[1]
                R.info("largest tile: %d items (%d slices + %d summaries, %d bytes) at track %d level %d index %d" % (
                    largest[0], ns_, nm_, nb_, tr_, L_, i_))
            R.info("largest tile body: %d bytes at track/level/index %s" % largest_bytes)
            R.info("time per tile request (client side, incl. transfer): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d requests"
                   % (percentile(times, 0.5) * 1e3, percentile(times, 0.99) * 1e3, max(times) * 1e3, len(times)))
            for L in sorted(by_level, reverse=True):
                xs = by_level[L]
                R.info("  level %2d: %5d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
                    L, len(xs), percentile(xs, 0.5) * 1e3, percentile(xs, 0.99) * 1e3, max(xs) * 1e3))
            # A few /event on the big trace (file read at the offset, not loaded whole).
            errs = []
            with open(big, "rb") as f:
                for tr in busiest[:2]:
                    st, h, j, b = c.get_json("/api/traces/%s/tile?track=%d&level=%d&index=0" % (tid, tr["track"], 16))
                    ids = (j or {}).get("slices", {}).get("id", [])[:3]
                    for eid in ids:
                        st, h, ej, b = c.get_json("/api/traces/%s/event?track=%d&id=%d" % (tid, tr["track"], eid))
                        if st != 200:
                            errs.append("event %d status %d" % (eid, st))
                            continue
                        f.seek(ej["offset"])
                        chunk = f.read(1 << 16).decode("utf-8", "replace")
                        try:
                            ev, _ = json.JSONDecoder().raw_decode(chunk)
                        except ValueError:
                            errs.append("event %d: no JSON at offset %d" % (eid, ej["offset"]))
                            continue
                        if ej["args"] != ev.get("args", {}):
                            errs.append("event %d args differ" % eid)
            R.errors("big trace: /event args equal the file's at offset", errs)
            c.close()
            R.check(srv.alive(), "big trace server alive at the end", srv.crash_note())
        finally:
            srv.stop()
    finally:
        if os.path.exists(big) and not args.keep:
            os.remove(big)


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("traceview")
    ap.add_argument("gen_trace")
    ap.add_argument("corpus")
    ap.add_argument("--suite", choices=("default", "large", "all"), default="default")
    ap.add_argument("--workdir", help="temporary files go here (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--big-events", type=int, default=7000000)
    ap.add_argument("--big-tracks", type=int, default=5)
    ap.add_argument("--big-tiles", type=int, default=1000, help="levels with at most this many tiles")
    args = ap.parse_args()
    args.traceview = os.path.abspath(args.traceview)
    args.gen_trace = os.path.abspath(args.gen_trace)
    args.corpus = os.path.abspath(args.corpus)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tv-api-", dir=args.workdir)
    t_all = time.time()
    ctx = None
    try:
        if args.suite in ("default", "all"):
            files = []
            for rel in CORPUS_TRACES:
                src = os.path.join(args.corpus, rel)
                if not os.path.exists(src):
                    R.check(False, "corpus file %s present" % rel)
                    continue
                if rel.endswith(".gz"):
                    dst = os.path.join(work, os.path.basename(rel)[:-3])
                    with gzip.open(src, "rb") as fi, open(dst, "wb") as fo:
                        shutil.copyfileobj(fi, fo)
                    files.append(dst)
                else:
                    files.append(src)
            # A generated Chromium-shaped trace: sort indexes, B/E, instants,
            # counters, escapes in names and args.
            gen = os.path.join(work, "gen-chromium.json")
            p = subprocess.run([args.gen_trace, "--shape", "chromium", "--events", "60000", "--threads", "2",
                                "--seed", "5", "-o", gen, "--quiet"], capture_output=True, timeout=120)
            if R.check(p.returncode == 0 and os.path.exists(gen), "gen_trace --shape chromium", p.stderr[-200:]):
                files.append(gen)
            crafted = os.path.join(work, CRAFTED)
            make_crafted(crafted)
            files.append(crafted)
            ctx = Ctx(args, files)
            ctx.start()
            try:
                section_shapes(ctx)
                section_stable_ids(ctx, args)
                section_tiles(ctx)
                section_events(ctx)
                section_hostile(ctx)
                section_above_top(ctx)
            finally:
                rc = ctx.server.stop()
                R.check(rc == 0, "server stopped by SIGTERM with exit status 0", rc)
                if ctx.server.restarts:
                    R.info("the server was restarted %d time(s) after crashing" % ctx.server.restarts)
            section_port(args, files[0])
        if args.suite in ("large", "all"):
            section_big(args, work)
    except Exception as e:  # report, never hang
        import traceback
        traceback.print_exc()
        R.check(False, "suite ran to the end", repr(e))
    finally:
        if ctx and ctx.server.alive():
            ctx.server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n%.1f s" % (time.time() - t_all))
    if R.failures:
        print("failures:")
        for what, detail in R.failures:
            print("  - %s: %s" % (what, str(detail)[:300]))
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
