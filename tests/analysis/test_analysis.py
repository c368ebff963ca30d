#!/usr/bin/env python3
"""Black-box tests of the analysis endpoints of `traceview serve`
(docs/api.md: "Ranges and thread sets", flamegraph, stats, search).

    test_analysis.py TRACEVIEW CORPUS_DIR [--workdir DIR] [--keep]

Python standard library only. The script starts the server itself on
127.0.0.1 with an ephemeral port (`--port 0 --quiet`; the URL is read from the
announcement on stdout), always stops it, and restarts it when a request
killed it. The server runs with an address-space limit (RLIMIT_AS 2 GiB;
ASAN builds get hard_rss_limit_mb instead) so that a request that makes it
allocate without bound fails inside the server instead of exhausting the
machine. Every check prints `ok` or `FAIL`; the last line is
`N passed, M failed`; the exit status is 1 when anything failed.

An INDEPENDENT Python model is built from each JSON file (json with Decimal;
ns = us * 1000 rounded half away from zero; slices = X events except LLVM
`Total ` summaries, plus B/E pairs matched per (pid, tid) in timestamp order
(stable), an E closing the innermost open B, unclosed B closed at the end of
the trace; nesting per thread: ordered by start, longer first, file order;
a stack popped while its top ends at or before the new start; zero-length
slices never pushed) as docs/cli.md says. Details that are mangled symbols
are displayed demangled by the server; Python cannot demangle them, so the
text of each mangled raw detail is learned from /event (`detail` and
`detail_demangled` of one slice per detail, found via /stats group_by=detail
`longest`); plain details must be displayed unchanged (checked).

Traces: rustc/memchr-2.5.0.O0 (LLVM, mangled details), rustc/regex_lite-0.1.9.O0
(decompressed into the work dir: ~98k slices), clang/sqlite3 O2 (plain
details), node/tsc-speedscope and node/npm-ls (B/E, instants, counters), and a
small hand-made trace (clipping rule with hand-computed numbers, B/E corner
cases, fractional microseconds, LLVM-total look-alikes, overlapping slices).

  1. flamegraph  min_frac=0, label both/name/detail: per-stack totals equal
                 Python's per-stack sums of clipped durations; root total =
                 top-level sum; self = total - children; DFS order, depths,
                 left-heavy siblings, strings complete; inverted (root kept,
                 whole inverted tree from Python's per-frame self times);
                 callees/callers of a frame (root total = outermost
                 occurrences); pruning (min_frac 0.01 and default): kept
                 children, one `other` per parent holding the folded totals
                 and count, parents' totals and self unchanged. Whole trace,
                 ranges cutting slices, a tracks subset. The whole trace's
                 answers (from the server's cached pruned trees) equal the
                 same requests over an explicit whole range (built from the
                 index), normal and inverted, min_frac 1e-6 .. 0.2.
  2. stats       group_by name (all traces) and detail: every row (count,
                 total, self, avg, max, self_pct), row order, events/total/self
                 sums, `groups`, top, sort, filter; whole trace equals
                 `traceview summary --json`; explicit whole range equals the
                 default; ranges cutting slices; tracks subsets (a counter
                 track in the list is ignored); the clipping rule on the
                 hand-made trace with numbers computed by hand.
  3. search      substring (case-insensitive default, case=1) and regex:
                 count, strings_matched, ids, results (valid matching slices,
                 longest first / order=time, the right top-`limit` keys),
                 limit, range and tracks.
  4. edges       empty selections: a range after the trace's end, tracks of
                 counters only.
  5. hostile     catastrophic regexes for search (regex=1) and the stats
                 filter, 256-byte group patterns, invalid regexes (400),
                 257-byte q/filter (400): each answer 200/400 within 5 s with
                 the server's peak RSS below 512 MiB (it idles at ~30 MiB),
                 the server alive after it, /meta answering while the pattern
                 runs. Times and peak RSS are printed.
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
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

D = decimal.Decimal
CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP)
MAX_ERRORS = 8
MEM_LIMIT = 2 << 30          # RLIMIT_AS for the server
HOSTILE_TIME_LIMIT = 5.0     # seconds per hostile request
HOSTILE_RSS_LIMIT = 512 << 20  # peak resident memory of the server while answering one
META_TIME_LIMIT = 2.0        # seconds for /meta while a hostile request runs

CORPUS_TRACES = [
    ("rustc/memchr-2.5.0.O0.llvm_timings.json", False),
    ("rustc/regex_lite-0.1.9.O0.llvm_timings.json.gz", True),
    ("clang/sqlite3-3.6.11.O2.time-trace.json", False),
    ("node/tsc-speedscope.trace.json", False),
    ("node/npm-ls.trace.json", False),
]
HANDMADE = "handmade-analysis.json"


# --------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, cond, what, detail=""):
        if len(what) > 170:
            what = what[:130] + "...(%d chars)" % len(what)
        if cond:
            self.passed += 1
            print("ok    " + what, flush=True)
        else:
            self.failed += 1
            self.failures.append((what, detail))
            print("FAIL  " + what + (": " + str(detail) if detail != "" else ""), flush=True)
        return bool(cond)

    def errors(self, what, errs):
        if errs:
            shown = "; ".join(str(e) for e in errs[:MAX_ERRORS])
            more = " (+%d more)" % (len(errs) - MAX_ERRORS) if len(errs) > MAX_ERRORS else ""
            return self.check(False, what, "%d problem(s): %s%s" % (len(errs), shown, more))
        return self.check(True, what)

    def info(self, text):
        print("      " + text, flush=True)

    def section(self, title):
        print("\n== " + title, flush=True)


R = Report()


# ------------------------------------------------------------------ server

URL_RE = re.compile(r"serving (\d+) traces? at http://([^/\s]+):(\d+)/")


def is_asan(binary):
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Server:
    """One `traceview serve` process under a memory limit."""

    def __init__(self, binary, files, ready_timeout=120):
        self.binary = binary
        self.files = list(files)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.port = None
        self.stdout = []
        self.stderr = []
        self.restarts = 0
        self.asan = is_asan(binary)

    def start(self):
        env = dict(os.environ)
        preexec = None
        if self.asan:
            env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                                   ":hard_rss_limit_mb=%d:allocator_may_return_null=1" % (MEM_LIMIT >> 20)).lstrip(":")
        else:
            def preexec():
                resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
        self.stdout, self.stderr = [], []
        self.proc = subprocess.Popen([self.binary, "serve"] + self.files + ["--port", "0", "--quiet"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     env=env, preexec_fn=preexec)
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
        if not got.wait(self.ready_timeout):
            self.stop()
            raise RuntimeError("server did not announce its URL within %d s: %s" % (self.ready_timeout, self.stderr[-5:]))
        for line in self.stdout:
            m = URL_RE.search(line)
            if m:
                self.port = int(m.group(3))
                return self
        time.sleep(0.2)
        raise RuntimeError("server exited (%s) without serving: %s %s" % (self.proc.poll(), self.stdout, self.stderr[-5:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for t in getattr(self, "_threads", []):
            t.join(2)
        text = "\n".join(self.stderr)
        m = re.search(r"(ERROR: \w+Sanitizer.*|.*runtime error:.*)", text)
        if m:
            R.check(False, "no sanitizer report on the server's stderr", m.group(1)[:300])
        return self.proc.returncode

    def crash_note(self):
        rc = self.proc.poll() if self.proc else None
        if rc is None:
            return "alive"
        if rc < 0:
            return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
        return "exited with %d" % rc


class Client:
    """Keep-alive HTTP client."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def request(self, path, timeout=None):
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
            elif timeout and self.conn.sock:
                self.conn.sock.settimeout(timeout)
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if r.will_close:
                    self.close()
                elif timeout and self.conn and self.conn.sock:
                    self.conn.sock.settimeout(self.timeout)
                return r.status, hdrs, data
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path, timeout=None):
        st, h, b = self.request(path, timeout)
        try:
            j = json.loads(b) if b else None
        except ValueError:
            j = None
        return st, j


def qs(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


# --------------------------------------------------------- Python's model

def to_ns(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v * 1000
    if isinstance(v, D):
        return int((v * 1000).quantize(D(1), context=CTX))
    if isinstance(v, str):
        try:
            return to_ns(D(v)) if re.fullmatch(r"\s*-?[0-9.eE+-]+\s*", v) else None
        except decimal.InvalidOperation:
            return None
    return None


def is_num(v):
    return isinstance(v, (int, D)) and not isinstance(v, bool)


def is_llvm_total(ev):
    name, args = ev.get("name"), ev.get("args")
    return (isinstance(name, str) and name.startswith("Total ") and is_num(ev.get("ts"))
            and ev.get("ts") == 0 and isinstance(args, dict) and "count" in args)


MANGLED_RE = re.compile(r"_R[A-Za-z0-9_]|_ZN|_Z[0-9]")


class Slice:
    __slots__ = ("key", "start", "dur", "end", "name", "detail", "order", "depth", "parent", "children", "idx")

    def __init__(self, key, start, dur, name, detail, order):
        self.key, self.start, self.dur, self.end = key, start, dur, start + dur
        self.name, self.detail, self.order = name, detail, order
        self.depth, self.parent, self.children, self.idx = 0, None, [], 0


class Model:
    """Slices per (pid, tid), nested, with absolute ns times."""

    def __init__(self, path):
        self.path = path
        doc = json.loads(open(path, "rb").read(), parse_float=D)
        events = doc.get("traceEvents", []) if isinstance(doc, dict) else doc
        self.threads = collections.defaultdict(list)
        be = collections.defaultdict(list)
        lo, hi, eot = None, None, None
        self.totals = 0

        def rng(a, b):
            nonlocal lo, hi
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi

        def see(t):
            nonlocal eot
            eot = t if eot is None or t > eot else eot

        def detail_of(ev):
            a = ev.get("args")
            d = a.get("detail") if isinstance(a, dict) else None
            return d if isinstance(d, str) and d != "" else None

        for i, ev in enumerate(events):
            if not isinstance(ev, dict):
                continue
            ph = ev.get("ph")
            key = (ev.get("pid"), ev.get("tid"))
            ts = to_ns(ev.get("ts"))
            if ph == "M" or ts is None:
                continue
            name = ev.get("name") if isinstance(ev.get("name"), str) else ""
            if ph == "X":
                if is_llvm_total(ev):
                    self.totals += 1
                    continue
                dur = max(to_ns(ev.get("dur", 0)) or 0, 0)
                self.threads[key].append(Slice(key, ts, dur, name, detail_of(ev), i))
                rng(ts, ts + dur)
                see(ts + dur)
            elif ph in ("B", "E"):
                be[key].append((ts, ph, i, name, detail_of(ev)))
                see(ts)
            elif ph in ("i", "I"):
                rng(ts, ts)
                see(ts)
            elif ph == "C":
                a = ev.get("args")
                if isinstance(a, dict) and any(is_num(v) for v in a.values()):
                    rng(ts, ts)
                    see(ts)
        for key, evs in be.items():
            evs.sort(key=lambda e: e[0])  # stable
            stack = []
            for ts, ph, i, name, det in evs:
                if ph == "B":
                    stack.append((ts, i, name, det))
                elif stack:
                    b, bi, bname, bdet = stack.pop()
                    self.threads[key].append(Slice(key, b, ts - b, bname, bdet, bi))
                    rng(b, ts)
            for b, bi, bname, bdet in stack:
                self.threads[key].append(Slice(key, b, eot - b, bname, bdet, bi))
                rng(b, eot)
        self.origin = lo if lo is not None else 0
        self.duration = (hi - lo) if lo is not None else 0
        self.n = 0
        for key, sl in self.threads.items():
            sl.sort(key=lambda s: (s.start, -s.dur, s.order))
            stack = []
            for i, s in enumerate(sl):
                s.idx = i
                while stack and stack[-1].end <= s.start:
                    stack.pop()
                s.depth = len(stack)
                if stack:
                    s.parent = stack[-1]
                    stack[-1].children.append(s)
                if s.dur > 0:
                    stack.append(s)
            self.n += len(sl)
        self.raw_details = {s.detail for sl in self.threads.values() for s in sl if s.detail is not None}
        self.mangled = any(MANGLED_RE.search(d) for d in self.raw_details)
        self.text = {}            # raw detail -> displayed text (filled later)
        self.track_of = {}        # (pid, tid) -> track

    def dtext(self, raw):
        return self.text.get(raw, raw)

    # -- range walk
    def selected(self, t0, t1, tracks):
        """Yields (slice, clipped) for the slices in the selection; t0/t1 are
        absolute ns or None for the whole trace."""
        for key, sl in self.threads.items():
            if tracks is not None and self.track_of.get(key) not in tracks:
                continue
            for s in sl:
                if t0 is None:
                    yield s, s.dur
                    continue
                if s.start >= t1 or not (s.end > t0 or s.start >= t0):
                    continue
                yield s, min(s.end, t1) - max(s.start, t0)

    def abs_range(self, start, end):
        if start is None and end is None:
            return None, None
        return self.origin + (start or 0), self.origin + end


def inside(s, t0, t1):
    if t0 is None:
        return True
    return s.start < t1 and (s.end > t0 or s.start >= t0)


def clipped_self(s, clipped, t0, t1):
    """Clipped duration minus the part of each direct child inside both the
    range and the slice."""
    lo_r = t0 if t0 is not None else -(1 << 62)
    hi_r = t1 if t1 is not None else (1 << 62)
    self_ns = clipped
    for c in s.children:
        if not inside(c, t0, t1):
            continue
        part = min(c.end, s.end, hi_r) - max(c.start, lo_r)
        if part > 0:
            self_ns -= part
    return self_ns


# label functions: slice -> label (text)
def label_fn(model, mode):
    if mode == "name":
        return lambda s: s.name
    if mode == "detail":
        return lambda s: model.dtext(s.detail) if s.detail is not None else s.name
    return lambda s: (s.name, model.dtext(s.detail) if s.detail is not None else None)


def py_flame(model, t0, t1, tracks, mode):
    """{stack tuple: total} of the normal view ('()' is the root)."""
    lab = label_fn(model, mode)
    stack_of = {}
    out = collections.defaultdict(int)
    root = 0
    for s, c in model.selected(t0, t1, tracks):
        out[py_stack(s, lab, stack_of)] += c
        if s.parent is None:
            root += c
    out[()] = root
    return dict(out)


def py_stack(s, lab, memo):
    if s is None:
        return ()
    if id(s) in memo:
        return memo[id(s)]
    st = py_stack(s.parent, lab, memo) + (lab(s),)
    memo[id(s)] = st
    return st


def tree_self(tree):
    child = collections.defaultdict(int)
    for k, v in tree.items():
        if k:
            child[k[:-1]] += v
    return {k: max(0, v - child.get(k, 0)) for k, v in tree.items()}


def py_inverted(tree):
    selfs = tree_self(tree)
    inv = collections.defaultdict(int)
    for k, s in selfs.items():
        if not k or s <= 0:
            continue
        rk = tuple(reversed(k))
        for i in range(1, len(rk) + 1):
            inv[rk[:i]] += s
    inv = dict(inv)
    inv[()] = sum(v for k, v in inv.items() if len(k) == 1)
    return inv


def py_focus(tree, frame, callers):
    out = collections.defaultdict(int)
    for k, v in tree.items():
        if frame not in k:
            continue
        i = k.index(frame)
        if callers:
            if i != len(k) - 1:
                continue
            rk = tuple(reversed(k))
            for j in range(1, len(rk) + 1):
                out[rk[:j]] += v
        else:
            out[k[i:]] += v
    out = dict(out)
    out[()] = sum(v for k, v in out.items() if len(k) == 1)
    return out


# ------------------------------------------------------- server responses

def flame_shape_errors(j):
    """Structure of a /flamegraph answer: DFS order, depths, left-heavy,
    self = total - children, strings for every labelled node."""
    errs = []
    n = j.get("nodes", {})
    cols = ("parent", "name", "detail", "depth", "total", "self")
    if any(not isinstance(n.get(c), list) for c in cols) or len({len(n[c]) for c in cols}) != 1:
        return ["node columns missing or of different lengths"]
    par, name, det, dep, tot, slf = (n[c] for c in cols)
    if not par:
        return ["no nodes"]
    if par[0] != -1 or dep[0] != 0 or name[0] != 0 or det[0] != 0:
        errs.append("node 0 is not the root: parent %s depth %s name %s detail %s" % (par[0], dep[0], name[0], det[0]))
    if j.get("total_ns") != tot[0]:
        errs.append("total_ns %s != root total %s" % (j.get("total_ns"), tot[0]))
    path = [0]
    child_sum = collections.defaultdict(int)
    last_child_total = {}
    strings = j.get("strings", {})
    for i in range(1, len(par)):
        p = par[i]
        if not (0 <= p < i):
            errs.append("node %d: parent %d not before it" % (i, p))
            continue
        if dep[i] != dep[p] + 1:
            errs.append("node %d: depth %d, parent depth %d" % (i, dep[i], dep[p]))
        del path[dep[p] + 1:]
        if path[-1] != p:
            errs.append("node %d: not in depth-first order (parent %d not on the current path)" % (i, p))
        path.append(i)
        if p in last_child_total and tot[i] > last_child_total[p]:
            errs.append("node %d: total %d after a sibling with %d (not left-heavy)" % (i, tot[i], last_child_total[p]))
        last_child_total[p] = tot[i]
        child_sum[p] += tot[i]
        if name[i] != -1:
            for sid in (name[i], det[i]):
                if sid and str(sid) not in strings:
                    errs.append("node %d: string %d not in strings" % (i, sid))
        if tot[i] < 0 or slf[i] < 0:
            errs.append("node %d: negative total/self" % i)
    for i in range(len(par)):
        want = max(0, tot[i] - child_sum.get(i, 0))
        if slf[i] != want:
            errs.append("node %d: self %d != total %d - children %d" % (i, slf[i], tot[i], child_sum.get(i, 0)))
    if tot[0] != child_sum.get(0, 0):
        errs.append("root total %d != sum of its children %d" % (tot[0], child_sum.get(0, 0)))
    return errs


def server_tree(j, mode):
    """{stack of text labels: total}, {stack: node index}, and the raw nodes.
    `other` nodes get the label ('<other>', count)."""
    n = j["nodes"]
    strings = j.get("strings", {})

    def text(sid):
        return strings.get(str(sid), "<missing string %d>" % sid) if sid else None

    keys = [()]
    tree = {(): n["total"][0]}
    where = {(): 0}
    dup = []
    for i in range(1, len(n["parent"])):
        nm, dt = n["name"][i], n["detail"][i]
        if nm == -1:
            lab = ("<other>", dt)
        elif mode == "both":
            lab = (text(nm) or "", text(dt))
        else:
            lab = text(nm) or ""
            if dt:
                lab = (lab, "<unexpected detail %s>" % dt)
        k = keys[n["parent"][i]] + (lab,)
        keys.append(k)
        if k in tree:
            dup.append(k)
        tree[k] = n["total"][i]
        where[k] = i
    return tree, where, dup


def fmt_label(lab):
    if isinstance(lab, tuple):
        return ": ".join(str(x) for x in lab if x is not None)
    return str(lab)


def fmt_stack(k, width=110):
    s = " > ".join(fmt_label(lab) for lab in k) or "<root>"
    return s if len(s) <= width else s[:width] + "..."


def compare_trees(want, got, limit=MAX_ERRORS * 4):
    errs = []
    for k in sorted(set(want) | set(got), key=lambda k: (len(k), str(k))):
        w, g = want.get(k), got.get(k)
        if w != g:
            errs.append("%s: expected %s, got %s" % (fmt_stack(k), w, g))
            if len(errs) >= limit:
                errs.append("...")
                break
    return errs


def check_prune(pruned, want, min_frac, what, mode):
    """pruned: a /flamegraph answer with min_frac; want: Python's exact tree
    of the same view (zero-total frames included)."""
    errs = flame_shape_errors(pruned)
    ptree, pwhere, _ = server_tree(pruned, mode)
    wself = tree_self(want)
    wchildren = collections.defaultdict(list)
    for k in want:
        if k:
            wchildren[k[:-1]].append(k)
    pchildren = collections.defaultdict(list)
    for k in ptree:
        if k:
            pchildren[k[:-1]].append(k)
    root = want.get((), 0)
    thr = min_frac * float(root)
    if pruned["nodes"]["total"][0] != root:
        errs.append("root total %d, expected %d" % (pruned["nodes"]["total"][0], root))
    n_other = 0
    for k, tot in ptree.items():
        if k and k[-1][0] == "<other>":
            n_other += 1
            if pchildren.get(k):
                errs.append("%s: an other node has children" % fmt_stack(k))
            continue
        if k not in want:
            errs.append("%s: not in Python's tree" % fmt_stack(k))
            continue
        if tot != want[k]:
            errs.append("%s: total %d, expected %d" % (fmt_stack(k), tot, want[k]))
        wc = wchildren.get(k, [])
        kept = {c for c in wc if float(want[c]) >= thr and want[c] > 0}
        folded = [c for c in wc if c not in kept]
        pc = pchildren.get(k, [])
        others = [c for c in pc if c[-1][0] == "<other>"]
        real = {c for c in pc if c[-1][0] != "<other>"}
        if real != kept:
            errs.append("%s: kept children %d, expected %d (threshold %.1f)" % (fmt_stack(k), len(real), len(kept), thr))
        if folded:
            fsum = sum(want[c] for c in folded)
            if len(others) != 1:
                errs.append("%s: %d other nodes for %d folded children" % (fmt_stack(k), len(others), len(folded)))
            elif ptree[others[0]] != fsum or others[0][-1][1] != len(folded):
                errs.append("%s: other node total %d (count %s), expected %d (count %d)"
                            % (fmt_stack(k), ptree[others[0]], others[0][-1][1], fsum, len(folded)))
        elif others:
            errs.append("%s: other node without folded children" % fmt_stack(k))
        psum = sum(ptree[c] for c in pc)
        wsum = sum(want[c] for c in wc)
        if psum != wsum:
            errs.append("%s: children sum %d, expected %d" % (fmt_stack(k), psum, wsum))
        ps = pruned["nodes"]["self"][pwhere[k]]
        if ps != wself[k]:
            errs.append("%s: self %d, expected %d" % (fmt_stack(k), ps, wself[k]))
    R.errors("%s: pruned (min_frac=%g, %d nodes, %d other) keeps totals and self; other = folded sum and count"
             % (what, min_frac, len(ptree), n_other), errs)


def nonzero(tree):
    """The tree without zero-total frames and without zero-total `other`
    nodes (see the min_frac=0 check)."""
    return {k: v for k, v in tree.items() if v != 0 or not k}


# ------------------------------------------------------------------ context

class Ctx:
    def __init__(self, args, files):
        self.args = args
        self.files = files
        self.server = Server(args.traceview, files)
        self.client = None
        self.ids = {}      # path -> trace id
        self.metas = {}    # path -> meta
        self.models = {}   # path -> Model

    def start(self):
        self.server.start()
        self.client = Client(self.server.port)

    def restart(self):
        self.server.stop()
        if self.client:
            self.client.close()
        self.server.restarts += 1
        self.start()

    def ensure_alive(self, what):
        alive = self.server.alive()
        if alive:
            try:
                st, _, _ = self.client.request("/api/traces", timeout=10)
                alive = st == 200
            except (OSError, http.client.HTTPException):
                alive = False
        if not alive:
            try:
                self.server.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
        if not R.check(alive, "server alive after %s" % what, "" if alive else self.server.crash_note()):
            self.restart()
        return alive

    def get_json(self, path, what=None, timeout=None):
        try:
            return self.client.get_json(path, timeout)
        except (OSError, http.client.HTTPException) as e:
            R.check(False, "%s answers" % (what or path), "%r (%s)" % (e, self.server.crash_note()))
            self.ensure_alive(what or path)
            return None, None

    def api(self, path, endpoint, what, **params):
        """GET /api/traces/{id}/endpoint?params; the JSON answer or None
        (a failed check) when the status is not 200."""
        url = "/api/traces/%s/%s?%s" % (self.ids[path], endpoint, qs(**params))
        st, j = self.get_json(url, what)
        if st != 200 or not isinstance(j, dict):
            R.check(False, "%s: %s answers 200" % (what, url), "status %s %s" % (st, str(j)[:200]))
            return None
        return j


def tracks_of(meta, kind="thread"):
    return [t["track"] for p in meta["processes"] for t in p["tracks"] if t["kind"] == kind and t.get("lane") is None]


def short(path):
    return os.path.basename(path).replace(".llvm_timings.json", "").replace(".time-trace.json", "").replace(".trace.json", "")


# ----------------------------------------------------------------- setup

def section_setup(ctx):
    R.section("0. setup: traces, meta against the Python model, displayed detail texts")
    st, j = ctx.get_json("/api/traces")
    by_path = {t["path"]: t for t in (j or {}).get("traces", [])}
    R.check(sorted(by_path) == sorted(ctx.files), "/api/traces lists the %d served files" % len(ctx.files), sorted(by_path))
    for path in ctx.files:
        t = by_path.get(path)
        if not t:
            continue
        ctx.ids[path] = t["id"]
        st, meta = ctx.get_json("/api/traces/%s/meta" % t["id"])
        if not R.check(st == 200 and isinstance(meta, dict), "%s: meta" % short(path), st):
            continue
        ctx.metas[path] = meta
        m = ctx.models[path]
        errs = []
        if int(meta["origin_ns"]) != m.origin or meta["duration_ns"] != m.duration:
            errs.append("origin/duration %s/%s, Python %s/%s" % (meta["origin_ns"], meta["duration_ns"], m.origin, m.duration))
        for p in meta["processes"]:
            for tr in p["tracks"]:
                if tr["kind"] == "thread" and tr.get("lane") is None:
                    m.track_of[(p["pid"], tr["tid"])] = tr["track"]
                    want = len(m.threads.get((p["pid"], tr["tid"]), []))
                    if tr["slices"] != want:
                        errs.append("track %d (%s:%s): %d slices, Python %d" % (tr["track"], p["pid"], tr["tid"], tr["slices"], want))
        missing = [k for k, sl in m.threads.items() if sl and k not in m.track_of]
        if missing:
            errs.append("Python threads without a track: %s" % missing[:5])
        n_lanes = sum(tr["slices"] for p in meta["processes"] for tr in p["tracks"]
                      if tr.get("lane") is not None)  # async lanes: tests/corpus checks them
        if meta["counts"]["slices"] - n_lanes != m.n or meta["counts"]["llvm_totals"] != m.totals:
            errs.append("counts.slices/llvm_totals %d/%d, Python %d/%d" % (meta["counts"]["slices"],
                        meta["counts"]["llvm_totals"], m.n, m.totals))
        R.errors("%s: origin, duration, per-track slice counts equal the Python model (%d slices, %d threads)"
                 % (short(path), m.n, len(m.threads)), errs)
        learn_detail_texts(ctx, path)


def learn_detail_texts(ctx, path):
    """Displayed text of every raw detail: one /event per /stats detail row
    (its `longest` slice) gives raw `detail` and `detail_demangled`."""
    m = ctx.models[path]
    if not m.raw_details:
        return
    j = ctx.api(path, "stats", "%s: stats group_by=detail" % short(path), group_by="detail", top=10000)
    if not j:
        return
    errs = []
    multi = 0
    for row in j["rows"]:
        ids = row["match"]["ids"]
        if row["key"] == "(no detail)" and ids == [0]:
            continue
        if len(ids) > 1:
            multi += 1
        lg = row["longest"]
        st, ev = ctx.get_json("/api/traces/%s/event?track=%d&id=%d" % (ctx.ids[path], lg["track"], lg["id"]))
        if st != 200 or not isinstance(ev, dict):
            errs.append("event %s: status %s" % (lg, st))
            continue
        if ev.get("detail_demangled") != row["key"]:
            errs.append("row %r: its longest slice's detail_demangled is %r" % (row["key"][:60], ev.get("detail_demangled")))
        m.text[ev.get("detail")] = ev.get("detail_demangled")
    unresolved = [d for d in m.raw_details if d not in m.text]
    plain_changed = [(d, t) for d, t in m.text.items() if not MANGLED_RE.search(d or "") and d != t]
    mangled_kept = [d for d, t in m.text.items() if MANGLED_RE.search(d or "") and d == t]
    if multi:
        R.info("%s: %d detail rows group several string ids (same demangled text)" % (short(path), multi))
    for d in unresolved:
        if MANGLED_RE.search(d):
            errs.append("no displayed text learned for mangled detail %r" % d[:80])
    R.errors("%s: displayed texts of %d raw details learned from /event (%d mangled); rows' keys = detail_demangled"
             % (short(path), len(m.text), sum(1 for d in m.text if d and MANGLED_RE.search(d))), errs)
    R.check(not plain_changed, "%s: plain (not mangled) details are displayed unchanged" % short(path),
            plain_changed[:3])
    if mangled_kept:
        R.info("%s: %d mangled-looking details displayed unchanged, e.g. %r" % (short(path), len(mangled_kept), mangled_kept[0][:80]))


# ----------------------------------------------------------------- ranges

def ranges_for(m, rng):
    """Named relative ranges (start, end) for a trace; None = no parameters."""
    D_ = m.duration
    out = [("whole", None, None), ("explicit whole", 0, D_ + 1)]
    if D_ >= 6:
        out.append(("middle third", D_ // 3, 2 * D_ // 3))
    # cut the longest slice and the longest deep slice
    longest = None
    deep = None
    for sl in m.threads.values():
        for s in sl:
            if longest is None or s.dur > longest.dur:
                longest = s
            if s.depth >= 2 and s.dur >= 4 and (deep is None or s.dur > deep.dur):
                deep = s
    if longest and longest.dur >= 4:
        a = longest.start - m.origin
        out.append(("cuts the longest slice", a + longest.dur // 4, a + longest.dur // 2))
    if deep:
        a = deep.start - m.origin + deep.dur // 3
        out.append(("1 ns inside a deep slice", a, a + 1))
        if a > 0:
            out.append(("ends inside a deep slice", max(0, a - D_ // 10), a))
    if D_ >= 10:
        a = rng.randrange(0, D_ - 1)
        out.append(("random", a, rng.randrange(a + 1, D_ + 1)))
    return out


def subset_tracks(meta):
    th = tracks_of(meta)
    sub = th[::2] if len(th) > 1 else th
    return sub


# ------------------------------------------------------------- section 1

ZERO_FOLDED = []
ZERO_CHECKED = [0]


def section_flame(ctx):
    R.section("1. flamegraph: per-stack totals, views, pruning")
    rng = random.Random(11)
    for path in ctx.files:
        if path not in ctx.metas:
            continue
        m, meta, nm = ctx.models[path], ctx.metas[path], short(path)
        handmade = os.path.basename(path) == HANDMADE
        rl = ranges_for(m, rng)
        cases = [(rl[0], None, "both"), (rl[0], None, "name"), (rl[0], None, "detail")]
        cases += [(r, None, "both") for r in rl[2:4]]
        cases += [(r, None, "name") for r in rl[2:]]
        sub = subset_tracks(meta)
        cases += [(rl[0], sub, "both"), (rl[2] if len(rl) > 2 else rl[0], sub, "name")]
        if handmade:
            # tid 3 holds overlapping slices whose parent can lie outside a range
            keep = [ctx.models[path].track_of[k] for k in ((1, 1), (1, 2), (1, 4))]
            cases = [(r, keep, lab) for (r, _, lab) in cases]
        whole_both = None
        for (rname, a, b), tracks, lab in cases:
            t0, t1 = m.abs_range(a, b)
            tsel = set(tracks) if tracks is not None else None
            what = "%s: flame %s, label=%s%s" % (nm, rname, lab, ", tracks %s" % (tracks if len(tracks) < 6 else "%d of them" % len(tracks)) if tracks is not None else "")
            params = dict(min_frac=0, label=lab, start=a, end=b, tracks=",".join(map(str, tracks)) if tracks is not None else None)
            j = ctx.api(path, "flamegraph", what, **params)
            if not j:
                continue
            want = py_flame(m, t0, t1, tsel, lab)
            got, where, dup = server_tree(j, lab)
            errs = flame_shape_errors(j)
            if dup:
                errs.append("duplicate sibling labels: %s" % [fmt_stack(k) for k in dup[:3]])
            errs += compare_trees(nonzero(want), nonzero(got))
            zeros = [k for k, v in want.items() if k and v == 0]
            ZERO_CHECKED[0] += 1
            zero_missing = [k for k in zeros if k not in got]
            if zero_missing:
                ZERO_FOLDED.append((what, len(zeros), len(zero_missing), zero_missing[0],
                                    sum(1 for k in got if k and k[-1][0] == "<other>")))
            top = sum(c for s, c in m.selected(t0, t1, tsel) if s.parent is None)
            if j.get("total_ns") != top:
                errs.append("total_ns %s, top-level clipped sum %d" % (j.get("total_ns"), top))
            if a is not None and (j.get("start") != a or j.get("end") != min(b, m.duration + 1)):
                errs.append("start/end echoed %s/%s" % (j.get("start"), j.get("end")))
            R.errors("%s (%d stacks, %d with total 0): totals per stack = Python sums of clipped durations"
                     % (what, len(want), len(zeros)), errs)
            if rname == "whole" and tracks in (None, keep if handmade else None) and lab == "both":
                whole_both = (j, want, params)
            if lab == "name" and rname in ("whole", "cuts the longest slice", "middle third") and tracks is None:
                check_views(ctx, path, j, want, params, what)
        if whole_both:
            j, want, params = whole_both
            check_views(ctx, path, j, want, params, "%s: flame whole, label=both" % nm)
            for frac in (0.01, None):
                p = dict(params)
                p["min_frac"] = frac
                pj = ctx.api(path, "flamegraph", "%s pruned" % nm, **p)
                if pj:
                    check_prune(pj, want, frac if frac is not None else 0.0005, "%s: flame whole label=both" % nm, "both")
    # a view on the bigger trace, pruned, in a range
    big = [p for p in ctx.files if "regex_lite" in p and p in ctx.metas]
    for path in big:
        m = ctx.models[path]
        a, b = m.duration // 4, 3 * m.duration // 4
        base = dict(start=a, end=b, label="both")
        t0, t1 = m.abs_range(a, b)
        want = py_flame(m, t0, t1, None, "both")
        for view in ("normal", "inverted"):
            pr = ctx.api(path, "flamegraph", "regex_lite %s range pruned" % view, min_frac=0.01, view=view, **base)
            if pr:
                check_prune(pr, want if view == "normal" else py_inverted(want), 0.01,
                            "%s: flame %s [D/4, 3D/4)" % (short(path), view), "both")
    R.check(not ZERO_FOLDED, "min_frac=0 keeps every frame, also those with total 0 (docs: only children below "
            "min_frac * root total are folded)",
            "%d of %d responses fold zero-total frames into `other` nodes (total 0); e.g. %s: %d of %d zero-total "
            "stacks missing, such as %s" % (len(ZERO_FOLDED), ZERO_CHECKED[0], ZERO_FOLDED[0][0], ZERO_FOLDED[0][2],
                                             ZERO_FOLDED[0][1], fmt_stack(ZERO_FOLDED[0][3])) if ZERO_FOLDED else "")


CACHED_FRACS = (None, 0.01, 5e-5, 5e-6, 0.2, 1e-6)


def section_flame_cached(ctx):
    """The whole trace's normal and inverted views come from trees the server
    keeps pruned at a small fraction (5e-6) and prunes again per request; an
    explicit range covering the whole trace, [0, duration + 1), is built from
    the index like any range. Both must answer byte for byte the same, at the
    default min_frac, the UI's finer ones (5e-5, 5e-6), coarser ones, and one
    below the cache's fraction (1e-6, built from the index either way)."""
    for path in ctx.files:
        if path not in ctx.metas:
            continue
        m, nm = ctx.models[path], short(path)
        for lab in ("both", "name", "detail"):
            errs = []
            n = 0
            for view in ("normal", "inverted"):
                for frac in CACHED_FRACS:
                    p = dict(label=lab, view=view if view != "normal" else None, min_frac=frac)
                    what = "%s: flame whole %s label=%s min_frac=%s" % (nm, view, lab, frac)
                    cached = ctx.api(path, "flamegraph", what, **p)
                    built = ctx.api(path, "flamegraph", what + " (explicit range)",
                                    start=0, end=m.duration + 1, **p)
                    if cached is None or built is None:
                        continue
                    n += 1
                    if cached != built:
                        cn, bn = cached.get("nodes", {}), built.get("nodes", {})
                        errs.append("%s min_frac=%s: %d nodes, built from the index %d nodes%s"
                                    % (view, frac, len(cn.get("parent", [])), len(bn.get("parent", [])),
                                       "" if cn != bn else " (nodes equal, rest differs)"))
                    if frac == 5e-6 and view == "normal":
                        errs += ["shape: " + e for e in flame_shape_errors(cached)]
            R.errors("%s: label=%s: whole-trace flame answers (normal, inverted; %d min_frac values, %d pairs) "
                     "equal the same trees built from the index" % (nm, lab, len(CACHED_FRACS), n), errs)


def check_views(ctx, path, j, want, params, what):
    """Inverted, callees and callers against the Python tree `want`."""
    m = ctx.models[path]
    lab = params["label"]
    p = dict(params)
    p["view"] = "inverted"
    inv = ctx.api(path, "flamegraph", what + " inverted", **p)
    if inv:
        errs = flame_shape_errors(inv)
        got, _, _ = server_tree(inv, lab)
        pw = py_inverted(want)
        if inv["nodes"]["total"][0] != j["nodes"]["total"][0]:
            errs.append("inverted root total %d, normal %d" % (inv["nodes"]["total"][0], j["nodes"]["total"][0]))
        # first level: the per-label sum of slice self times (stats-style)
        t0, t1 = m.abs_range(params.get("start"), params.get("end"))
        tsel = set(map(int, params["tracks"].split(","))) if params.get("tracks") else None
        labf = label_fn(m, lab)
        selfsum = collections.defaultdict(int)
        for s, c in m.selected(t0, t1, tsel):
            selfsum[(labf(s),)] += clipped_self(s, c, t0, t1)
        first = {k: v for k, v in got.items() if len(k) == 1}
        sw = {k: v for k, v in selfsum.items() if v > 0}
        if first != sw:
            errs.append("first level != per-label self sums: %s" % compare_trees(sw, first)[:4])
        errs += compare_trees(nonzero(pw), nonzero(got))
        R.errors("%s inverted: root total kept, first level = per-label self sums, whole tree (%d stacks)"
                 % (what, len(pw)), errs)
    # a frame to focus: the heaviest label at depth >= 2, else any
    n = j["nodes"]
    cands = [i for i in range(1, len(n["parent"])) if n["name"][i] != -1 and n["depth"][i] >= 2] or \
            [i for i in range(1, len(n["parent"])) if n["name"][i] != -1]
    if not cands:
        return
    i = max(cands, key=lambda i: (n["total"][i], -i))
    # the label of node i
    st = j.get("strings", {})
    nm, dt = n["name"][i], n["detail"][i]
    if lab == "both":
        frame = (st.get(str(nm)), st.get(str(dt)) if dt else None)
    else:
        frame = st.get(str(nm))
    for view in ("callees", "callers"):
        p = dict(params)
        p.update(view=view, name=nm, detail=dt if dt else None)
        fj = ctx.api(path, "flamegraph", "%s %s" % (what, view), **p)
        if not fj:
            continue
        errs = flame_shape_errors(fj)
        got, _, _ = server_tree(fj, lab)
        pw = py_focus(want, frame, view == "callers")
        outer = sum(v for k, v in want.items() if k and k[-1] == frame and frame not in k[:-1])
        if fj["nodes"]["total"][0] != outer:
            errs.append("root total %d, outermost occurrences sum %d" % (fj["nodes"]["total"][0], outer))
        errs += compare_trees(nonzero(pw), nonzero(got))
        R.errors("%s %s of %s: root = outermost occurrences (%d), tree (%d stacks)"
                 % (what, view, fmt_stack((frame,), 50), outer, len(pw)), errs)


# ------------------------------------------------------------- section 2

def py_stats(m, t0, t1, tracks, group, filt=None):
    rows = {}
    rx = re.compile(filt) if filt else None
    for s, c in m.selected(t0, t1, tracks):
        if rx and not rx.search(s.name):
            continue
        if group == "name":
            key = s.name
        else:
            key = m.dtext(s.detail) if s.detail is not None else "(no detail)"
        r = rows.get(key)
        if r is None:
            r = rows[key] = [0, 0, 0, None]
        r[0] += 1
        r[1] += c
        r[2] += clipped_self(s, c, t0, t1)
        r[3] = c if r[3] is None or c > r[3] else r[3]
    return rows


def round2(x):
    return float(D(x).quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP))


def py_rows(rows):
    total_self = sum(max(0, r[2]) for r in rows.values())
    out = []
    for k, (cnt, tot, slf, mx) in rows.items():
        slf = max(0, slf)
        out.append({"key": k, "count": cnt, "total_ns": tot, "self_ns": slf, "avg_ns": tot // cnt, "max_ns": mx,
                    "self_pct": round2(D(slf) * 100 / D(total_self)) if total_self else 0.0})
    out.sort(key=lambda r: (-r["total_ns"], r["key"].encode()))
    return out


ROW_FIELDS = ("key", "count", "total_ns", "self_ns", "avg_ns", "max_ns", "self_pct")


def compare_rows(want, got):
    errs = []
    wk = {r["key"]: r for r in want}
    gk = {r.get("key"): r for r in got}
    for k in sorted(set(wk) | set(gk)):
        w, g = wk.get(k), gk.get(k)
        if w is None or g is None:
            errs.append("%r: expected %s, got %s" % (k[:60], "a row" if w else "no row", "a row" if g else "no row"))
            continue
        diff = []
        for f in ROW_FIELDS[1:]:
            if f == "self_pct":
                if abs(w[f] - g.get(f, -1)) > 0.0100001:
                    diff.append("%s %s != %s" % (f, g.get(f), w[f]))
            elif w[f] != g.get(f):
                diff.append("%s %s != %s" % (f, g.get(f), w[f]))
        if diff:
            errs.append("%r: %s" % (k[:60], ", ".join(diff)))
    if not errs and [r["key"] for r in want] != [r.get("key") for r in got]:
        errs.append("row order differs (by total desc, then key)")
    return errs


def section_stats(ctx):
    R.section("2. stats: rows over clipped slices, ranges, tracks, whole trace = summary --json")
    rng = random.Random(12)
    for path in ctx.files:
        if path not in ctx.metas:
            continue
        m, meta, nm = ctx.models[path], ctx.metas[path], short(path)
        handmade = os.path.basename(path) == HANDMADE
        rl = ranges_for(m, rng)
        sub = subset_tracks(meta)
        counters = tracks_of(meta, "counter")
        groups = ["name", "detail"]
        cases = []
        for r in rl:
            for g in groups:
                cases.append((r, None, g))
        cases.append((rl[0], sub, "name"))
        if len(rl) > 2:
            cases.append((rl[2], sub + counters[:2], "name"))
            cases.append((rl[2], sub, "detail"))
        if handmade:
            keep = [m.track_of[k] for k in ((1, 1), (1, 2), (1, 4))]
            cases = [(r, tr if tr is not None else keep, g) for (r, tr, g) in cases] + [(rl[0], None, "name")]
        whole = {}
        for (rname, a, b), tracks, g in cases:
            t0, t1 = m.abs_range(a, b)
            tsel = set(tracks) if tracks is not None else None
            what = "%s: stats %s, group_by=%s%s" % (nm, rname, g, ", tracks %s" % (tracks if len(tracks) < 6 else "(%d)" % len(tracks)) if tracks is not None else "")
            j = ctx.api(path, "stats", what, group_by=g, top=10000, start=a, end=b,
                        tracks=",".join(map(str, tracks)) if tracks is not None else None)
            if not j:
                continue
            want = py_rows(py_stats(m, t0, t1, tsel, g))
            errs = compare_rows(want, j.get("rows", []))
            fields = {r.get("match", {}).get("field") for r in j.get("rows", [])}
            if fields - {g}:
                errs.append("match.field %s, expected %s" % (sorted(map(str, fields)), g))
            sums = (sum(r["count"] for r in want), sum(r["total_ns"] for r in want), sum(r["self_ns"] for r in want))
            if (j.get("events"), j.get("total_ns"), j.get("self_ns"), j.get("groups")) != sums + (len(want),):
                errs.append("events/total/self/groups %s, expected %s" % ((j.get("events"), j.get("total_ns"), j.get("self_ns"), j.get("groups")), sums + (len(want),)))
            R.errors("%s: %d rows (count, total, self, avg, max, self_pct, order)" % (what, len(want)), errs)
            if tracks is None and rname in ("whole", "explicit whole"):
                whole[(rname, g)] = j
            if tracks is None and rname == "cuts the longest slice" and g == "name":
                check_longest(ctx, path, j, t0, t1)
        for g in groups:
            a, b = whole.get(("whole", g)), whole.get(("explicit whole", g))
            if a and b:
                strip = lambda j: [{f: r[f] for f in ROW_FIELDS} for r in j["rows"]]
                R.check(strip(a) == strip(b), "%s: stats with start=0&end=duration+1 equals no range (group_by=%s)" % (nm, g))
            if a:
                p = subprocess.run([ctx.args.traceview, "summary", path, "--json", "--quiet", "--group-by", g],
                                   capture_output=True, timeout=60)
                try:
                    sj = json.loads(p.stdout)
                except ValueError:
                    sj = None
                if R.check(p.returncode == 0 and isinstance(sj, dict), "%s: traceview summary --json --group-by %s" % (nm, g), p.stderr[-200:]):
                    errs = []
                    for f in ("events", "total_ns", "self_ns"):
                        if sj.get(f) != a.get(f):
                            errs.append("%s: summary %s, /stats %s" % (f, sj.get(f), a.get(f)))
                    srows = sj.get("rows", [])
                    arows = [{f: r[f] for f in ROW_FIELDS} for r in a["rows"]]
                    if [{f: r.get(f) for f in ROW_FIELDS} for r in srows] != arows:
                        errs += compare_rows(srows, a["rows"]) or ["rows differ"]
                    R.errors("%s: whole-trace /stats rows == summary --json rows (group_by=%s, %d rows)" % (nm, g, len(srows)), errs)
        # top, sort, filter on the whole trace
        j = ctx.api(path, "stats", "%s: stats top=3" % nm, top=3)
        full = whole.get(("whole", "name"))
        if j and full:
            R.check([r["key"] for r in j["rows"]] == [r["key"] for r in full["rows"][:3]] and j["groups"] == full["groups"],
                    "%s: top=3 keeps the first 3 rows, groups counts all" % nm)
        for sort in ("self", "count", "avg", "max", "key"):
            j = ctx.api(path, "stats", "%s: stats sort=%s" % (nm, sort), sort=sort, top=10000)
            if not j:
                continue
            f = {"self": "self_ns", "count": "count", "avg": "avg_ns", "max": "max_ns"}.get(sort)
            if f:
                keys = [(-r[f], r["key"].encode()) for r in j["rows"]]
            else:
                keys = [r["key"].encode() for r in j["rows"]]
            R.check(keys == sorted(keys) and full and sorted(r["key"] for r in j["rows"]) == sorted(r["key"] for r in full["rows"]),
                    "%s: sort=%s orders rows (descending, ties by key)" % (nm, sort))
        if len(rl) > 2:
            (rname, a, b) = rl[2]
            t0, t1 = m.abs_range(a, b)
            names = sorted({s.name for sl in m.threads.values() for s in sl})
            simple = [x for x in names if re.fullmatch(r"[A-Za-z0-9_]+", x)][:3]
            filt = "^(%s)$" % "|".join(simple)
            if simple and len(filt) <= 256:
                for g in groups:
                    j = ctx.api(path, "stats", "%s: stats filter" % nm, filter=filt, group_by=g, start=a, end=b, top=10000)
                    if j:
                        want = py_rows(py_stats(m, t0, t1, None, g, filt))
                        R.errors("%s: stats filter=%s group_by=%s in the middle third (%d rows)" % (nm, filt[:50], g, len(want)),
                                 compare_rows(want, j["rows"]))


def check_longest(ctx, path, j, t0, t1):
    """`longest` of the first rows: a slice of that key whose clipped
    duration is the row's max_ns."""
    errs = []
    for r in j["rows"][:5]:
        lg = r.get("longest", {})
        st, ev = ctx.get_json("/api/traces/%s/event?track=%s&id=%s" % (ctx.ids[path], lg.get("track"), lg.get("id")))
        if st != 200 or not isinstance(ev, dict):
            errs.append("%r: event %s status %s" % (r["key"], lg, st))
            continue
        m = ctx.models[path]
        s0 = m.origin + ev["start"]
        clipped = min(s0 + ev["dur"], t1) - max(s0, t0)
        if ev["name"] != r["key"] or clipped != r["max_ns"]:
            errs.append("%r: longest is %s (clipped %d), max_ns %d" % (r["key"], ev["name"], clipped, r["max_ns"]))
    R.errors("%s: `longest` of the first rows names a slice of the row with the clipped max" % short(path), errs)


def section_handmade_rule(ctx):
    R.section("2b. the clipping rule on the hand-made trace (numbers computed by hand)")
    path = [p for p in ctx.files if os.path.basename(p) == HANDMADE][0]
    if path not in ctx.metas:
        return
    m = ctx.models[path]
    t1track = m.track_of[(1, 1)]
    t3track = m.track_of[(1, 3)]
    us = 1000
    # tid 1: A [0,100) > B [10,40) > C [20,25); D [60,60) zero-length in A;
    #        F [120,130) top level. Times in us.
    cases = [
        ((15, 65), {"A": (1, 50, 25, 50), "B": (1, 25, 20, 25), "C": (1, 5, 5, 5), "D": (1, 0, 0, 0)}),
        ((40, 61), {"A": (1, 21, 21, 21), "D": (1, 0, 0, 0)}),          # B ends at 40: out
        ((40, 60), {"A": (1, 20, 20, 20)}),                             # D at 60: out
        ((60, 70), {"A": (1, 10, 10, 10), "D": (1, 0, 0, 0)}),          # D at the start: in
        ((22, 23), {"A": (1, 1, 0, 1), "B": (1, 1, 0, 1), "C": (1, 1, 1, 1)}),
        ((0, 200), {"A": (1, 100, 70, 100), "B": (1, 30, 25, 30), "C": (1, 5, 5, 5), "D": (1, 0, 0, 0), "F": (1, 10, 10, 10)}),
        ((100, 120), {}),
    ]
    for (a, b), want in cases:
        j = ctx.api(path, "stats", "handmade stats", start=a * us, end=b * us, tracks=t1track, top=10000)
        if not j:
            continue
        got = {r["key"]: (r["count"], r["total_ns"] // us, r["self_ns"] // us, r["max_ns"] // us) for r in j["rows"]}
        exact = all(r["total_ns"] % us == 0 and r["self_ns"] % us == 0 for r in j["rows"])
        R.check(got == want and exact, "handmade tid 1, range [%d, %d) us: (count, total, self, max) per name = %s"
                % (a, b, want or "no rows"), got)
        fj = ctx.api(path, "flamegraph", "handmade flame", start=a * us, end=b * us, tracks=t1track, min_frac=0, label="name")
        if fj:
            top = sum(v[1] for k, v in want.items() if k in ("A", "F"))
            R.check(fj["total_ns"] == top * us, "handmade tid 1, range [%d, %d) us: flame root total = top-level clipped %d us"
                    % (a, b, top), fj["total_ns"])
        sj = ctx.api(path, "search", "handmade search", q="A", case=1, start=a * us, end=b * us, tracks=t1track)
        if sj:
            R.check(sj["count"] == (1 if "A" in want else 0), "handmade tid 1, range [%d, %d) us: search q=A counts the clipped slice"
                    % (a, b), sj["count"])
    # tid 3: P [0,100), Q [90,150) overlapping P's end (repairs.overlapping).
    j = ctx.api(path, "stats", "handmade stats tid 3", tracks=t3track, top=100)
    if j:
        got = {r["key"]: (r["count"], r["total_ns"] // us, r["self_ns"] // us) for r in j["rows"]}
        R.check(got == {"P": (1, 100, 90), "Q": (1, 60, 60), "R": (1, 10, 10)},
                "handmade tid 3 (overlap), whole trace: P self = 100 - part of Q inside P (10)", got)
    j = ctx.api(path, "stats", "handmade stats tid 3", tracks=t3track, top=100, start=95 * us, end=140 * us)
    if j:
        got = {r["key"]: (r["count"], r["total_ns"] // us, r["self_ns"] // us) for r in j["rows"]}
        R.check(got == {"P": (1, 5, 0), "Q": (1, 45, 45)},
                "handmade tid 3 (overlap), range [95, 140) us: P self = 5 - part of Q inside P and range (5)", got)
    j = ctx.api(path, "stats", "handmade stats tid 3", tracks=t3track, top=100, start=105 * us, end=140 * us)
    if j:
        got = {r["key"]: (r["count"], r["total_ns"] // us, r["self_ns"] // us) for r in j["rows"]}
        R.check(got == {"Q": (1, 35, 35)}, "handmade tid 3 (overlap), range [105, 140) us: only Q (its parent P ended)", got)
    sj = ctx.api(path, "search", "handmade search tid 3", q="Q", case=1, tracks=t3track, start=105 * us, end=140 * us)
    if sj:
        R.check(sj["count"] == 1, "handmade tid 3 (overlap), range [105, 140) us: search q=Q finds Q", sj["count"])
    fj = ctx.api(path, "flamegraph", "handmade flame tid 3", tracks=t3track, min_frac=0, label="name", start=105 * us, end=140 * us)
    if fj:
        R.info("tid 3, range [105, 140) us, where Q's parent P is outside the range: flame root total %d ns, "
               "%d frames" % (fj["total_ns"], len(fj["nodes"]["parent"]) - 1))
    fj = ctx.api(path, "flamegraph", "handmade flame tid 3", tracks=t3track, min_frac=0, label="name", start=105 * us, end=205 * us)
    if fj:
        R.info("tid 3, range [105, 205) us (R [200,210) at depth 0 is in it): flame root total %d ns, frames at depths %s "
               "(docs: root = top-level slices = R's 5000 ns; Q's parent P is outside the range)"
               % (fj["total_ns"], fj["nodes"]["depth"][1:]))


# ------------------------------------------------------------- section 3

def ascii_lower(s):
    return s.encode("utf-8", "surrogatepass").lower()


def make_matcher(q, regex, case):
    if regex:
        rx = re.compile(q, 0 if case else re.IGNORECASE | re.ASCII)
        return lambda t: rx.search(t) is not None
    if case:
        return lambda t: q in t
    ql = ascii_lower(q)
    return lambda t: ql in ascii_lower(t)


EXTRA_STRINGS = []


def section_search(ctx):
    R.section("3. search: substring, case, regex, count, order, limit, range, tracks")
    rng = random.Random(13)
    plan = {
        "memchr-2.5.0.O0": [("OptFunction", 0, 0), ("optfunction", 0, 0), ("optfunction", 0, 1), ("memchr::", 0, 1),
                            ("drop_in_place", 0, 0), ("^Opt(Module|Function)$", 1, 0), ("^optmodule$", 1, 0),
                            ("^optmodule$", 1, 1), ("x86::(avx|sse2)", 1, 1), ("Pass$", 1, 1), ("zzz-no-match", 0, 0)],
        "regex_lite-0.1.9.O0": [("RunPass", 0, 1), ("regex_lite", 0, 0), ("Instruction Selection", 0, 0),
                                ("^core::ptr::drop_in_place", 1, 1), ("[0-9]{3}", 1, 0)],
        "sqlite3-3.6.11.O2": [("sqlite3", 0, 0), ("SQLITE3", 0, 0), ("SQLITE3", 0, 1), ("Source", 0, 1),
                              ("^sqlite3Vdbe[A-Z]", 1, 1), ("^sqlite3vdbe", 1, 0), ("\\.h$", 1, 0), ("pass", 0, 0)],
        "tsc-speedscope": [("fs.sync", 0, 0), ("gc", 0, 0), ("GC", 0, 1), ("^V8\\.GC", 1, 1), ("^fs\\.sync\\.(stat|lstat)$", 1, 0)],
        "npm-ls": [("sync", 0, 0), ("^(Major|Minor)GC$", 1, 1), ("v8.", 0, 0)],
        "handmade-analysis": [("a", 0, 0), ("A", 0, 1), ("foo::", 0, 1), ("^(outer|inner)$", 1, 1), ("x y", 0, 0)],
    }
    for path in ctx.files:
        if path not in ctx.metas:
            continue
        m, meta, nm = ctx.models[path], ctx.metas[path], short(path)
        texts = {s.name for sl in m.threads.values() for s in sl} | {m.dtext(d) for d in m.raw_details}
        rl = ranges_for(m, rng)
        sub = subset_tracks(meta)
        handmade = os.path.basename(path) == HANDMADE
        for qi, (q, regex, case) in enumerate(plan.get(os.path.basename(path).replace(".llvm_timings.json", "")
                                                       .replace(".time-trace.json", "").replace(".trace.json", "")
                                                       .replace(".json", ""), [])):
            match = make_matcher(q, regex, case)
            matched_texts = {t for t in texts if match(t)}
            variants = [(rl[0], None, "longest", 100)]
            if qi % 2 == 0:
                variants.append((rl[0], None, "time", 7))
            if qi < 3:
                variants += [(rl[2] if len(rl) > 2 else rl[0], None, "longest", 1000), (rl[0], sub, "longest", 10),
                             (rl[3] if len(rl) > 3 else rl[0], sub, "time", 0)]
            for (rname, a, b), tracks, order, limit in variants:
                if handmade and tracks is None:
                    tracks = [m.track_of[k] for k in ((1, 1), (1, 2), (1, 4))]
                t0, t1 = m.abs_range(a, b)
                tsel = set(tracks) if tracks is not None else None
                what = "%s: search q=%r regex=%d case=%d %s order=%s limit=%d%s" % (
                    nm, q, regex, case, rname, order, limit, ", tracks (%d)" % len(tracks) if tracks is not None else "")
                j = ctx.api(path, "search", what, q=q, regex=regex or None, case=case or None, order=order,
                            limit=limit, start=a, end=b, tracks=",".join(map(str, tracks)) if tracks is not None else None)
                if not j:
                    continue
                hits = []
                for s, c in m.selected(t0, t1, tsel):
                    if match(s.name) or (s.detail is not None and match(m.dtext(s.detail))):
                        hits.append((s, c))
                errs = []
                if j.get("count") != len(hits):
                    errs.append("count %s, expected %d" % (j.get("count"), len(hits)))
                sm = j.get("strings_matched", -1)
                if sm < len(matched_texts):
                    errs.append("strings_matched %s, expected at least %d (distinct names and detail texts)" % (sm, len(matched_texts)))
                if sm != len(matched_texts):
                    EXTRA_STRINGS.append((nm, q, regex, case, sm, len(matched_texts)))
                ids = j.get("ids", [])
                if len(ids) != min(sm, 20000) or len(set(ids)) != len(ids) or j.get("ids_truncated") != (sm > 20000):
                    errs.append("ids: %d listed (truncated %s), strings_matched %d" % (len(ids), j.get("ids_truncated"), sm))
                res = j.get("results", [])
                if len(res) != min(limit, len(hits)):
                    errs.append("%d results, expected min(limit %d, count %d)" % (len(res), limit, len(hits)))
                strings = j.get("strings", {})
                idset = set(ids)
                for r in res:
                    for sid in (r.get("name"), r.get("detail")):
                        t = strings.get(str(sid)) if sid else None
                        if t is not None and match(t) != (sid in idset):
                            errs.append("string %d %r: matches %s but in ids %s" % (sid, t[:40], match(t), sid in idset))
                by_pos = collections.defaultdict(list)
                for s, c in hits:
                    by_pos[(m.track_of[s.key], s.start - m.origin, s.dur)].append((s, c))
                seen = set()
                keys = []
                for r in res:
                    k = (r.get("track"), r.get("start"), r.get("dur"))
                    cand = by_pos.get(k)
                    if not cand:
                        errs.append("result %s is not a matching slice in the selection" % (k,))
                        continue
                    rn = strings.get(str(r.get("name")))
                    rd = strings.get(str(r["detail"])) if r.get("detail") else None
                    same = [(s, c) for s, c in cand if s.name == rn and
                            (m.dtext(s.detail) if s.detail is not None else None) == rd]
                    if not same:
                        errs.append("result %s: name/detail %r/%r, no such matching slice there" % (k, rn, (rd or "")[:60]))
                        continue
                    s, c = same[0]
                    if (r.get("track"), r.get("id")) in seen:
                        errs.append("result %s listed twice" % (k,))
                    seen.add((r.get("track"), r.get("id")))
                    keys.append(c if order == "longest" else s.start)
                if order == "longest":
                    want_keys = sorted((c for s, c in hits), reverse=True)[:limit]
                    if keys != sorted(keys, reverse=True):
                        errs.append("results not longest first: %s" % keys[:10])
                else:
                    want_keys = sorted(s.start for s, c in hits)[:limit]
                    if keys != sorted(keys):
                        errs.append("results not in time order")
                if sorted(keys) != sorted(want_keys):
                    errs.append("result keys (%s) are not the top %d: got %s, expected %s" % (
                        "clipped dur" if order == "longest" else "start", limit, sorted(keys)[-5:], sorted(want_keys)[-5:]))
                R.errors(what + " (%d hits)" % len(hits), errs)
    seen = sorted({(e[0], e[1], e[2], e[3], e[4], e[5]) for e in EXTRA_STRINGS})
    R.check(not seen, "search strings_matched / ids count only slice names and details (docs: 'every distinct "
            "name and detail')", "%d queries count more strings, e.g. %s" % (len(seen), "; ".join(
                "%s q=%r regex=%d case=%d: strings_matched %d, %d distinct slice names/details match" % e for e in seen[:4])))
    # limits
    path = ctx.files[0]
    for params, want in ((dict(q="a", limit=1001), 400), (dict(q="a", limit=-1), 400), (dict(q=""), 400),
                         (dict(q="x" * 257), 400), (dict(q="x" * 256), 200), (dict(q="é" * 128), 200),
                         (dict(q="é" * 128 + "x"), 400), (dict(q="a", order="size"), 400), (dict(q="a", regex=2), 400)):
        st, j = ctx.get_json("/api/traces/%s/search?%s" % (ctx.ids[path], qs(**params)))
        R.check(st == want and isinstance(j, dict) and (want == 200 or isinstance(j.get("error"), str)),
                "search %s -> %d" % ({k: (v if len(str(v)) < 20 else "%d bytes" % len(str(v).encode())) for k, v in params.items()}, want),
                (st, str(j)[:120]))


# ------------------------------------------------------------- section 4

def section_edges(ctx):
    R.section("4. empty selections")
    after = collections.defaultdict(list)   # endpoint -> problems
    n = 0
    for path in ctx.files:
        if path not in ctx.metas:
            continue
        m, meta, nm = ctx.models[path], ctx.metas[path], short(path)
        a, b = m.duration + 10, m.duration + 20
        n += 1
        # docs/api.md: a range starting after the trace's end is refused (400).
        for ep, extra in (("stats", {}), ("flamegraph", {}), ("search", {"q": "e"})):
            st, j = ctx.get_json("/api/traces/%s/%s?%s" % (ctx.ids[path], ep, qs(start=a, end=b, **extra)))
            if not (st == 400 and isinstance(j, dict) and isinstance(j.get("error"), str)):
                after[ep].append("%s start=%d&end=%d: %s %s" % (nm, a, b, st, str(j)[:120]))
        counters = tracks_of(meta, "counter")
        if counters:
            j = ctx.api(path, "stats", "%s: stats counter tracks only" % nm, tracks=",".join(map(str, counters[:3])))
            if j:
                R.check(j["events"] == 0, "%s: stats tracks=<counter tracks only>: no events (counter tracks are ignored)" % nm,
                        j["events"])
    for ep in ("stats", "flamegraph", "search"):
        R.errors("%s with a range after the trace's end (start = duration + 10, end = duration + 20): an empty "
                 "selection, on %d traces" % (ep, n), after[ep])
    # parameter errors of the selection
    path = ctx.files[0]
    m = ctx.models[path]
    for params in (dict(top=10001), dict(top=0), dict(group_by="x"), dict(sort="x"), dict(filter="")):
        st, j = ctx.get_json("/api/traces/%s/stats?%s" % (ctx.ids[path], qs(**params)))
        R.check(st == 400 and isinstance(j, dict) and isinstance(j.get("error"), str), "stats %s -> 400" % params, (st, str(j)[:100]))
    for params in (dict(start=5, end=5), dict(start=6, end=5), dict(start=-1, end=5), dict(tracks="x"),
                   dict(tracks="99999"), dict(min_frac=1), dict(min_frac=-0.1), dict(label="x"), dict(view="x"),
                   dict(view="callees")):
        st, j = ctx.get_json("/api/traces/%s/flamegraph?%s" % (ctx.ids[path], qs(**params)))
        R.check(st == 400 and isinstance(j, dict) and isinstance(j.get("error"), str), "flamegraph %s -> 400" % params, (st, str(j)[:100]))


# ------------------------------------------------------------- section 5

def hostile_patterns():
    p = [("(a*)*b", "nested star"), ("(a|aa)*c", "alternation star"), ("((a+)+)+$", "nested plus"),
         ("(.*){1,32000}", "bounded repeat 32000"), ("(.*){1,32000}(.*){1,32000}", "two bounded repeats"),
         ("((((.*){1,100}){1,100}){1,100})", "nested bounded repeats"),
         ("(" * 128 + ")" * 128, "256 bytes: 128 nested empty groups"),
         ("()" * 128, "256 bytes: 128 empty groups"),
         ("(" * 84 + "a*" + ")*" * 84 + "bc", "256 bytes: 84 nested starred groups"),
         ("((" * 42 + ".*" + ")*)+" * 42 + "xy", "256 bytes: 84 nested starred groups around .*"),
         ("(a|b|" * 42 + "c" + ")" * 42 + "z" * 3, "256 bytes: 42 nested alternations"),
         ("(", "invalid: unmatched ("), ("a{2,1}", "invalid: bad interval"), ("[[:foo:]]", "invalid: class"),
         ("*a", "leading *"), ("[z-a]", "invalid: range"), ("a\\", "invalid: trailing backslash"),
         ("(a", "invalid: unmatched ( after text"), ("a)(", "invalid: ) before ("),
         ("a{1,99999}", "interval above RE_DUP_MAX"), ("x" * 257, "257 bytes"), ("(" * 129 + ")" * 128, "257 bytes of groups")]
    return p


def peak_rss(pid):
    """VmHWM (peak resident set) of a process in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def timed(client, url, timeout):
    t = time.time()
    try:
        st, _, b = client.request(url, timeout=timeout)
        err = None
    except (OSError, http.client.HTTPException) as e:
        st, b, err = None, b"", e
    return st, b, err, time.time() - t


def section_hostile(args, files):
    R.section("5. hostile patterns (server under RLIMIT_AS %d GiB)" % (MEM_LIMIT >> 30))
    srv = Server(args.traceview, files)
    srv.start()
    tids = {}
    try:
        c = Client(srv.port)
        st, j = c.get_json("/api/traces")
        tids = {t["path"]: t["id"] for t in j["traces"]}
        tid = tids[files[-1]]
        for pat, why in hostile_patterns():
            for ep, param, extra in (("search", "q", {"regex": 1}), ("stats", "filter", {})):
                params = dict(extra)
                params[param] = pat
                url = "/api/traces/%s/%s?%s" % (tid, ep, qs(**params))
                if not srv.alive():
                    srv.stop()
                    srv.start()
                    c = Client(srv.port)
                # /meta from another connection while the pattern runs
                metas = []
                done = threading.Event()

                def poll_meta(port=srv.port):
                    mc = Client(port, timeout=10)
                    time.sleep(0.05)
                    while not done.is_set():
                        st_, _, _, dt = timed(mc, "/api/traces/%s/meta" % tid, 10)
                        metas.append((st_, dt))
                        done.wait(0.2)
                    mc.close()

                th = threading.Thread(target=poll_meta, daemon=True)
                th.start()
                fresh = Client(srv.port)
                st, body, err, dt = timed(fresh, url, 15)
                done.set()
                th.join(15)
                fresh.close()
                try:
                    j = json.loads(body) if body else None
                except ValueError:
                    j = None
                hwm = peak_rss(srv.proc.pid) if srv.alive() else None
                nbytes = len(pat.encode())
                want = (400,) if nbytes > 256 or why.startswith("invalid") else (200, 400)
                shape = (st == 400 and isinstance(j, dict) and isinstance(j.get("error"), str)) or \
                        (st == 200 and isinstance(j, dict) and ("count" in j or "rows" in j))
                note = "%s %s" % (st, (j.get("error") if isinstance(j, dict) and "error" in j else
                                       "count %s" % j.get("count") if isinstance(j, dict) and "count" in j else
                                       "events %s" % j.get("events") if isinstance(j, dict) else repr(err)))
                R.check(st in want and shape and dt < HOSTILE_TIME_LIMIT and (hwm or 0) < HOSTILE_RSS_LIMIT,
                        "%s %s=%s (%s, %d bytes): %s in %.2f s, peak RSS %s" % (
                            ep, param, pat if len(pat) <= 40 else pat[:36] + "...", why, nbytes,
                            "/".join(map(str, want)), dt, "%d MiB" % (hwm >> 20) if hwm else "?"),
                        "%s after %.2f s, peak RSS %s (limit %d MiB; the server is capped at %d MiB) (%s)" % (
                            note, dt, "%d MiB" % (hwm >> 20) if hwm else "?", HOSTILE_RSS_LIMIT >> 20,
                            MEM_LIMIT >> 20, srv.crash_note()))
                if hwm and hwm >= HOSTILE_RSS_LIMIT:
                    srv.stop()          # reset the high-water mark
                    srv.restarts += 1
                    srv.start()
                    c = Client(srv.port)
                slow = [d for s_, d in metas if s_ != 200 or d > META_TIME_LIMIT]
                if metas:
                    R.info("      /meta during it: %d requests, slowest %.3f s" % (len(metas), max(d for _, d in metas)))
                if slow and srv.alive():
                    R.check(False, "/meta answers within %.1f s while `%s` runs" % (META_TIME_LIMIT, pat[:40]), metas[:5])
                # the server is still up and answers /meta
                st2, _, err2, dt2 = timed(c, "/api/traces/%s/meta" % tid, 10)
                if not R.check(st2 == 200 and dt2 < META_TIME_LIMIT * 2,
                               "server answers /meta after %s %s=%s (%.3f s)" % (ep, param, pat[:40], dt2),
                               "%s %r: %s" % (st2, err2, srv.crash_note())):
                    srv.stop()
                    srv.restarts += 1
                    srv.start()
                    c = Client(srv.port)
        c.close()
    finally:
        rc = srv.stop()
        R.check(rc == 0, "hostile server stopped by SIGTERM with status 0", rc)
        if srv.restarts:
            R.info("the hostile-pattern server was restarted %d time(s)" % srv.restarts)


# ------------------------------------------------------------------ data

def make_handmade(path):
    """tid 1: the clipping rule (A [0,100) > B [10,40) > C [20,25); D zero at
    60 in A; F [120,130)) plus an LLVM total (excluded). tid 2: B/E (an E
    closes the innermost B whatever its name; unmatched E dropped; equal
    timestamps keep file order; a B and an X at the same start: longer first),
    fractional microseconds, details. tid 3: overlapping slices P [0,100),
    Q [90,150). tid 4: LLVM-total look-alikes that ARE slices."""
    ev = [{"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "clip"}}]
    X = lambda tid, name, ts, dur, **a: {"ph": "X", "pid": 1, "tid": tid, "name": name, "ts": ts, "dur": dur,
                                        **({"args": a} if a else {})}
    ev += [X(1, "A", 0, 100, detail="foo::bar"), X(1, "B", 10, 30), X(1, "C", 20, 5, detail="x y"), X(1, "D", 60, 0),
           X(1, "F", 120, 10, detail="foo::baz"), X(1, "Total A", 0, 500, count=3)]
    be = lambda tid, ph, ts, name=None, **a: dict({"ph": ph, "pid": 1, "tid": tid, "ts": ts},
                                                  **({"name": name} if name else {}), **({"args": a} if a else {}))
    ev += [be(2, "B", 0, "outer", detail="foo::bar"), be(2, "B", 10, "inner"), be(2, "E", 20, "not-inner"),
           X(2, "x", 20, 5), X(2, "frac", D("30.0005"), D("1.0005"), detail="x y"), be(2, "E", 50),
           be(2, "B", 60, "z"), be(2, "E", 60), be(2, "E", 70),
           be(2, "B", 80, "same", detail="foo::bar"), X(2, "same2", 80, 10), be(2, "E", 95),
           be(2, "B", 100, "eq1"), be(2, "E", 105), be(2, "B", 105, "eq2"), be(2, "E", 110)]
    ev += [X(3, "P", 0, 100), X(3, "Q", 90, 60), X(3, "R", 200, 10)]
    ev += [X(4, "Total Bar", 0, 5), X(4, "Total Baz", 1, 1, count=2), X(4, "Total Qux", 0, 3, count="n")]
    with open(path, "w") as f:
        f.write(json.dumps({"traceEvents": ev}, default=lambda d: float(d) if isinstance(d, D) else str(d)))


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("traceview")
    ap.add_argument("corpus")
    ap.add_argument("--workdir", help="temporary files go here (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--skip-hostile", action="store_true")
    args = ap.parse_args()
    args.traceview = os.path.abspath(args.traceview)
    args.corpus = os.path.abspath(args.corpus)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tv-analysis-", dir=args.workdir)
    t_all = time.time()
    ctx = None
    try:
        files = []
        for rel, gz in CORPUS_TRACES:
            src = os.path.join(args.corpus, rel)
            if not R.check(os.path.exists(src), "corpus file %s present" % rel):
                continue
            if gz:
                dst = os.path.join(work, os.path.basename(rel)[:-3])
                with gzip.open(src, "rb") as fi, open(dst, "wb") as fo:
                    shutil.copyfileobj(fi, fo)
                files.append(dst)
            else:
                files.append(src)
        hm = os.path.join(work, HANDMADE)
        make_handmade(hm)
        files.append(hm)
        t = time.time()
        ctx = Ctx(args, files)
        for f in files:
            ctx.models[f] = Model(f)
        R.info("Python models of %d traces (%d slices) in %.1f s" % (len(files), sum(m.n for m in ctx.models.values()), time.time() - t))
        ctx.start()
        try:
            t = time.time()
            section_setup(ctx)
            for fn in (section_flame, section_flame_cached, section_stats, section_handmade_rule, section_search, section_edges):
                t1 = time.time()
                fn(ctx)
                ctx.ensure_alive(fn.__name__)
                R.info("%s: %.1f s" % (fn.__name__, time.time() - t1))
        finally:
            rc = ctx.server.stop()
            R.check(rc == 0, "server stopped by SIGTERM with exit status 0", rc)
            if ctx.server.restarts:
                R.info("the server was restarted %d time(s)" % ctx.server.restarts)
        if not args.skip_hostile:
            t1 = time.time()
            section_hostile(args, [files[0]] + [f for f in files if "regex_lite" in f])
            R.info("section_hostile: %.1f s" % (time.time() - t1))
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
            print("  - %s: %s" % (what, str(detail)[:400]))
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
