#!/usr/bin/env python3
"""Checks traceview against an independent Python reading of one Chrome trace.

    check_chrome.py TRACEVIEW CORPUS_FILE WORKDIR
    check_chrome.py --dump CORPUS_FILE WORKDIR    (print Python's view only)

A gzip-compressed CORPUS_FILE is first decompressed into WORKDIR (reused when
already there). Python's json module then reads the file (floats as
decimal.Decimal, so microseconds convert to integer nanoseconds exactly, halves
rounded away from zero) and the rules of docs/cli.md are applied here, written
separately from the C code:

  info:    format, bytes, events, phases, slices, instants, counter_samples,
           llvm_totals (name, pid, tid, count, dur_ns), threads (pid, tid,
           name, sort_index, slices, instants, max_depth, and the documented
           order), time_range_ns, repairs (all four counters)
  summary: --group-by name (every row: count, total_ns, self_ns, avg_ns,
           max_ns, self_pct, row order, top-level sums), --group-by detail
           --no-demangle (same), the "blog question" --filter '^OptFunction$'
           --group-by detail --no-demangle --top 10, and for LLVM-shaped traces
           (-ftime-trace, -Zllvm-time-trace) the demangled detail grouping
           against c++filt (top 10 in order, then every row; `c++filt -i`, or
           plain c++filt for C++ symbols, since docs/cli.md does not say
           whether std::string stays abbreviated)
  truncated copy: the file cut in the middle of the event found near byte
           2,000,000 (or mid-file), written to WORKDIR: traceview must exit 0,
           warn with the byte offset where the cut event starts, say
           "truncated": true, and its info must equal Python's view of the
           events before the cut.

Then `traceview info FILE --json --quiet` and the `traceview summary` commands
run and every difference is reported (the first 20 per check); a sanitizer
report on traceview's stderr is a failure too. Exit 0 when
everything matches, 1 otherwise. Where docs/cli.md leaves a case open (an X
without "dur", a missing pid/tid or name, a string as "ts"), the assumption
used here is counted and printed so a difference can be judged.
"""
import collections
import decimal
import gzip
import heapq
import json
import os
import re
import shutil
import subprocess
import sys
import time

D = decimal.Decimal
CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP)
MAX_DIFFS = 20
# docs/cli.md does not say what a "ts" given as a JSON string ("ts":"115501")
# means. traceview skips such events and counts them in repairs.missing_ts (an
# extra key); speedscope's Hermes fixture writes them. True reads them as
# numbers instead.
NUMERIC_STRING_TS = True
SANITIZER = []  # sanitizer reports seen on traceview's stderr
TV_TIMEOUT = 600

# ------------------------------------------------------------------ loading


def materialize(path, workdir):
    """Returns a path to the uncompressed file (decompressing .gz into workdir)."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic != b"\x1f\x8b":
        return path
    os.makedirs(workdir, exist_ok=True)
    base = os.path.basename(path)
    base = base[:-3] if base.endswith(".gz") else base + ".raw"
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    out = os.path.join(workdir, parent + "__" + base)
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(path):
        return out
    tmp = out + ".tmp.%d" % os.getpid()
    with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, out)
    return out


def _no_constants(s):
    raise ValueError("non-JSON constant " + s)


def loads(b):
    # strict UTF-8 first: json.loads(bytes) would let encoded surrogates through
    return json.loads(b.decode("utf-8"), parse_float=D, parse_int=int,
                      parse_constant=_no_constants)


def load_events(raw):
    """(format, events) as docs/cli.md reads them, or raises ValueError."""
    try:
        doc = loads(raw)
        load_events.top = doc if isinstance(doc, dict) else {}
        if isinstance(doc, dict):
            if "traceEvents" in doc and isinstance(doc["traceEvents"], list):
                return "chrome-json-object", doc["traceEvents"]
            if "ph" in doc:  # a one-line JSONL file
                return "chrome-jsonl", [doc]
            raise ValueError("object without traceEvents")
        if isinstance(doc, list):
            return "chrome-json-array", doc
        raise ValueError("not an object or array")
    except ValueError as first:
        load_events.top = {}
        s = raw.strip()
        if s.startswith(b"["):
            # an unterminated array (allowed by the format): drop a trailing
            # comma and close it
            s = s.rstrip()
            if s.endswith(b","):
                s = s[:-1]
            try:
                return "chrome-json-array", loads(s + b"]")
            except ValueError:
                pass
        if s.startswith(b"{"):
            try:
                evs = [loads(line) for line in raw.splitlines() if line.strip()]
                if len(evs) > 1 and all(isinstance(e, dict) for e in evs):
                    return "chrome-jsonl", evs
            except ValueError:
                pass
        raise first


# ------------------------------------------------------------------ the model


def to_ns(v, notes, what):
    """Microseconds (JSON number) -> integer nanoseconds, or None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        v = D(v)
    if isinstance(v, str):
        if not NUMERIC_STRING_TS:
            notes["%s is a string (treated as missing)" % what] += 1
            return None
        try:
            v = D(v)
        except decimal.InvalidOperation:
            notes["%s is a non-numeric string (ignored)" % what] += 1
            return None
        notes["%s is a numeric string (read as a number)" % what] += 1
    if isinstance(v, D):
        v = int(CTX.multiply(v, D(1000)).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    if isinstance(v, int):
        if not -2**63 <= v < 2**63:
            raise ValueError("%s out of range of int64 nanoseconds" % what)
        return v
    notes["%s has type %s (ignored)" % (what, type(v).__name__)] += 1
    return None


def ident(v, notes, what):
    if v is None:
        notes["missing %s (taken as 0)" % what] += 1
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return ("s", v)
    if isinstance(v, D) and v == v.to_integral_value():
        return int(v)
    notes["%s of type %s" % (what, type(v).__name__)] += 1
    return ("o", json.dumps(v, default=str))


def is_number(v):
    return isinstance(v, (int, D)) and not isinstance(v, bool)


class Slice:
    __slots__ = ("start", "dur", "order", "name", "cat", "detail", "child", "depth")

    def __init__(self, start, dur, order, name, cat, detail):
        self.start, self.dur, self.order = start, dur, order
        self.name, self.cat, self.detail = name, cat, detail
        self.child = 0
        self.depth = 0

    @property
    def end(self):
        return self.start + self.dur


NO_NAME = "(no name)"  # traceview's key for a missing or empty name (docs/cli.md is silent)


def text(v):
    return v if isinstance(v, str) and v else NO_NAME


def model(fmt, events, nbytes, pop_mode="all"):
    """Everything docs/cli.md defines, computed from the parsed events.

    pop_mode "all": before placing a slice, remove from the stack every slice
    that ends at or before its start (the text of docs/cli.md); "top": pop only
    while the top of the stack ends at or before it. They differ only for
    overlapping (badly nested) slices; the report says which one matches."""
    notes = collections.Counter()
    phases = collections.Counter()
    slices = collections.defaultdict(list)      # thread -> [Slice]
    be = collections.defaultdict(list)          # thread -> [(ts, idx, ph, ev)]
    instants = collections.Counter()
    listed = set()
    names, sorts = {}, {}
    pnames, psorts = {}, {}
    totals = []
    counter_samples = 0
    times = []      # (start, end) of slices, instants, counter samples
    end_marks = []  # what the end of trace is taken from
    repairs = collections.Counter()
    n_events = 0
    asyncs, flow_marks = [], []
    p_events = []

    for idx, e in enumerate(events):
        n_events += 1
        if not isinstance(e, dict):
            notes["event that is not an object"] += 1
            phases["(not an object)"] += 1
            continue
        ph = e.get("ph")
        phases[ph if isinstance(ph, str) else "(ph %r)" % (ph,)] += 1
        if ph == "P":
            p_events.append((idx, e))
            continue
        if ph not in ("X", "B", "E", "i", "I", "C", "M", "b", "n", "e", "S", "F", "s", "t", "f"):
            continue
        pid = ident(e.get("pid"), notes, "pid (ph %s)" % ph)
        tid = ident(e.get("tid"), notes, "tid (ph %s)" % ph)
        th = (pid, tid)
        args = e.get("args") if isinstance(e.get("args"), dict) else {}
        if ph == "M":
            n = e.get("name")
            if n == "thread_name":
                names[th] = args.get("name")
                listed.add(th)
            elif n == "thread_sort_index":
                sorts[th] = args.get("sort_index")
                listed.add(th)
            elif n == "process_name":
                pnames[pid] = args.get("name")
            elif n == "process_sort_index":
                psorts[pid] = args.get("sort_index")
            continue
        ts = to_ns(e.get("ts"), notes, "ts")
        if ts is None:
            notes["ph %s without a numeric ts (skipped)" % ph] += 1
            continue
        name = e.get("name")
        if not isinstance(name, str) or not name:
            name = NO_NAME
        if ph in ("b", "n", "e", "S", "F"):
            asyncs.append((async_key(e, ph, pid), ts, idx, ph, e, pid, name))
            end_marks.append(ts)
            continue
        if ph in ("s", "t", "f"):
            flow_marks.append((flow_key(e, "v1"), ts, idx, ph))
            continue
        if (e.get("flow_in") is True or e.get("flow_out") is True) and "bind_id" in e:
            fph = "t" if e.get("flow_in") is True and e.get("flow_out") is True else \
                  "s" if e.get("flow_out") is True else "f"
            flow_marks.append((("v2", id_text(e.get("bind_id"))), ts, idx, fph))
        if ph == "X":
            dur = to_ns(e.get("dur"), notes, "dur")
            if name.startswith("Total ") and ts == 0 and "count" in args:
                totals.append({"name": name, "pid": pid, "tid": tid,
                               "count": args.get("count"), "dur_ns": dur})
                continue
            if dur is None:
                notes["X without a numeric dur (taken as 0)"] += 1
                dur = 0
            if dur < 0:
                repairs["negative_duration"] += 1
                dur = 0
            s = Slice(ts, dur, idx, name, e.get("cat"), args.get("detail"))
            slices[th].append(s)
            listed.add(th)
            times.append((ts, ts + dur))
            end_marks.append(ts + dur)
        elif ph in ("B", "E"):
            be[th].append((ts, idx, ph, e))
            end_marks.append(ts)
            if ph == "E":
                listed.add(th)
        elif ph in ("i", "I"):
            instants[th] += 1
            listed.add(th)
            times.append((ts, ts))
            end_marks.append(ts)
        elif ph == "C":
            n = sum(1 for v in args.values() if is_number(v))
            counter_samples += n
            if n:
                times.append((ts, ts))
                end_marks.append(ts)

    n_samples = chrome_samples(p_events, getattr(load_events, "top", {}), slices, listed, times,
                               end_marks)
    trace_end = max(end_marks) if end_marks else 0
    for th, lst in be.items():
        lst.sort(key=lambda t: t[0])  # stable: equal ts keep file order
        stack = []
        for ts, idx, ph, e in lst:
            if ph == "B":
                stack.append((ts, idx, e))
            elif stack:
                bts, bidx, b = stack.pop()
                args = b.get("args") if isinstance(b.get("args"), dict) else {}
                slices[th].append(Slice(bts, ts - bts, bidx, text(b.get("name")), b.get("cat"),
                                        args.get("detail")))
                times.append((bts, ts))
            else:
                repairs["unmatched_end"] += 1
        for bts, bidx, b in stack:
            repairs["unclosed_begin"] += 1
            args = b.get("args") if isinstance(b.get("args"), dict) else {}
            slices[th].append(Slice(bts, trace_end - bts, bidx, text(b.get("name")), b.get("cat"),
                                    args.get("detail")))
            times.append((bts, trace_end))
            listed.add(th)

    lane_names = {}
    if asyncs:
        async_lanes(asyncs, trace_end, slices, listed, times, repairs, lane_names)
    n_flows = count_flows(flow_marks, repairs)

    # nesting and self time, per thread
    max_depth = {}
    for th, lst in slices.items():
        lst.sort(key=lambda s: (s.start, -s.dur, s.order))
        stack = []
        deepest = 0
        for s in lst:
            if pop_mode == "all":
                stack = [p for p in stack if p.end > s.start]
            else:
                while stack and stack[-1].end <= s.start:
                    stack.pop()
            s.depth = len(stack)
            deepest = max(deepest, s.depth + 1)
            if stack:
                parent = stack[-1]
                if s.end > parent.end:
                    repairs["overlapping"] += 1
                parent.child += min(s.end, parent.end) - s.start
            if s.dur > 0:
                stack.append(s)
        max_depth[th] = deepest

    threads = []
    for th in listed:
        pid, tid = th
        name = names.get(th)
        kind = "thread"
        if th in lane_names:
            name, kind, tid = lane_names[th], "async", tid[1]
        elif isinstance(tid, tuple) and tid[0] == "samples":
            name, kind, tid = "CPU samples", "samples", tid[1]
        if name is None and isinstance(tid, tuple) and tid[0] == "s":
            name = tid[1]
        threads.append({"pid": pid, "tid": tid, "kind": kind, "name": name, "sort_index": sorts.get(th),
                        "slices": len(slices.get(th, [])), "instants": instants.get(th, 0),
                        "max_depth": max_depth.get(th, 0)})
    if times:
        time_range = [min(t[0] for t in times), max(t[1] for t in times)]
    else:
        time_range = None
    for k in ("unmatched_end", "unclosed_begin", "negative_duration", "overlapping",
              "unmatched_async_end", "unclosed_async", "unmatched_flow"):
        repairs[k] += 0
    return {
        "format": fmt, "bytes": nbytes, "events": n_events, "phases": dict(phases),
        "slices": sum(len(v) for v in slices.values()), "instants": sum(instants.values()),
        "counter_samples": counter_samples, "llvm_totals": totals, "threads": threads,
        "flows": n_flows, "samples": n_samples,
        "time_range_ns": time_range, "repairs": dict(repairs),
        "_slices": slices, "_notes": notes, "_pnames": pnames,
    }


# --------------------------------------------- async slices, lanes, flows
# docs/cli.md "Async slices and flows": b/e nest per key (kind, category, id,
# scope, and the pid unless id2.global), n is a zero-length slice inside the
# open one, S opens and F closes; unclosed ones end with the trace. Per
# process, spans sorted by (start, longer first, file order) go to the lane
# of their parent when its open interval there is the parent and contains
# them, else the first lane with nothing open, else a new lane ("async",
# "async 2", ...).

MAX_LANES = 4096


def id_text(v):
    if isinstance(v, str):
        return "s" + v
    if isinstance(v, bool) or v is None:
        return "?"
    return "n" + str(v)


def async_key(e, ph, pid):
    ident_v, glob = e.get("id"), False
    id2 = e.get("id2")
    if isinstance(id2, dict):
        for k in ("local", "global"):
            if k in id2:
                ident_v, glob = id2[k], k == "global"
    ident_t = id_text(ident_v) if ("id" in e or isinstance(id2, dict)) else "name:" + str(e.get("name"))
    cat = e.get("cat") if isinstance(e.get("cat"), str) else ""
    scope = e.get("scope") if isinstance(e.get("scope"), str) else ""
    return ("S" if ph in "SF" else "b", cat, ident_t, scope, None if glob else pid)


def flow_key(e, v):
    scope = e.get("scope") if isinstance(e.get("scope"), str) else ""
    ident_v = e.get("id")
    id2 = e.get("id2")
    if isinstance(id2, dict):
        for k in ("local", "global"):
            if k in id2:
                ident_v = id2[k]
    return (v, id_text(ident_v), scope)


def async_lanes(asyncs, trace_end, slices, listed, times, repairs, lane_names):
    asyncs.sort(key=lambda a: (str(a[0]), a[1], a[2]))
    spans = []  # [start, dur, idx, e, pid, name, parent index]
    i = 0
    while i < len(asyncs):
        k = i
        stack = []
        while k < len(asyncs) and asyncs[k][0] == asyncs[i][0]:
            key, ts, idx, ph, e, pid, name = asyncs[k]
            if ph in ("b", "S", "n"):
                spans.append([ts, 0, idx, e, pid, name, stack[-1] if stack else None])
                if ph != "n":
                    stack.append(len(spans) - 1)
            elif stack:
                sp = spans[stack.pop()]
                sp[1] = ts - sp[0]
            else:
                repairs["unmatched_async_end"] += 1
            k += 1
        for si in stack:
            spans[si][1] = max(trace_end - spans[si][0], 0)
            repairs["unclosed_async"] += 1
        i = k
    by_pid = collections.defaultdict(list)
    for si, sp in enumerate(spans):
        by_pid[sp[4]].append(si)
    lane_of = {}
    for pid, lst in by_pid.items():
        lst.sort(key=lambda si: (spans[si][0], -spans[si][1], spans[si][2]))
        lanes = []  # each: list of [end, span index], outermost first
        free, busy = [], []  # heaps: lane numbers; (outermost end, lane number)
        for si in lst:
            start, dur, idx, e, _, name, parent = spans[si]
            end = start + dur
            while busy and busy[0][0] <= start:
                n = heapq.heappop(busy)[1]
                lanes[n].clear()
                heapq.heappush(free, n)

            def fits(lane, strict):
                while lane and lane[-1][0] <= start:
                    lane.pop()
                if not lane:
                    return True
                if end > lane[-1][0]:
                    return False
                return not strict or lane[-1][1] == parent

            lane, opens = None, False
            if parent is not None and parent in lane_of and spans[parent][4] == pid and \
                    fits(lanes[lane_of[parent]], True):
                lane = lane_of[parent]
            if lane is None and free:
                lane, opens = heapq.heappop(free), True
            if lane is None and len(lanes) < MAX_LANES:
                lanes.append([])
                lane, opens = len(lanes) - 1, True
            if lane is None:
                lane = next((n for n, l in enumerate(lanes) if fits(l, False)), MAX_LANES - 1)
            if opens:
                heapq.heappush(busy, (end, lane))
            lanes[lane].append([end, si])
            lane_of[si] = lane
            th = (pid, ("lane", lane))
            lane_names[th] = "async" if lane == 0 else "async %d" % (lane + 1)
            args = e.get("args") if isinstance(e.get("args"), dict) else {}
            slices[th].append(Slice(start, dur, idx, name, e.get("cat"), args.get("detail")))
            listed.add(th)
            times.append((start, end))


# ------------------------------------------------------------ CPU samples
# docs/cli.md "CPU samples": Profile/ProfileChunk P events (call-tree nodes
# with parent ids or children lists, samples at startTime + running
# timeDeltas, on the Profile event's thread), P events with "sf", and the
# object form's "samples" ({ts, tid, sf, weight}) over "stackFrames". Each
# sample lasts until the thread's next one (the last: the median gap over
# all threads, or 1 ms); consecutive samples sharing leading frames extend
# the same slices, on a "CPU samples" row per thread.

def int_id(v):
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return ident(v, collections.Counter(), "id")
    if v is None:
        return 0
    return ident(v, collections.Counter(), "id")


def num_ns(v):
    if isinstance(v, bool) or not isinstance(v, (int, D, str)):
        return None
    try:
        return int(CTX.multiply(D(v), D(1000)).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    except decimal.InvalidOperation:
        return None


def raw_text(v):
    """An id as the bytes of its JSON token: the string's text or the number's digits."""
    return v if isinstance(v, str) else str(v)


def chrome_samples(p_events, top, slices, listed, times, end_marks):
    nodes = {}  # key -> [parent key or None, name]
    samples = []  # (pid, tid, ts, weight, node key, seq)
    sf = top.get("stackFrames") if isinstance(top.get("stackFrames"), dict) else {}
    for k, fr in sf.items():
        if not isinstance(fr, dict):
            fr = {}
        parent = fr.get("parent")
        nodes[("sf", raw_text(k))] = [("sf", raw_text(parent)) if "parent" in fr else None,
                                     text(fr.get("name"))]

    def sf_sample(e):
        ts = num_ns(e.get("ts"))
        if ts is None or "sf" not in e:
            return
        w = e.get("weight", 1)
        try:
            w = float(w)
        except (TypeError, ValueError):
            w = 1
        weight = int(w + 0.5) if 1 <= w < 1e15 else 1
        samples.append((int_id(e.get("pid")), int_id(e.get("tid")), ts, weight,
                        ("sf", raw_text(e["sf"])), len(samples)))

    profiles = {}
    for idx, e in p_events:
        if "sf" in e:
            sf_sample(e)
            continue
        name = e.get("name")
        args = e.get("args")
        if name not in ("Profile", "ProfileChunk") or not isinstance(args, dict):
            continue
        pid, tid = int_id(e.get("pid")), int_id(e.get("tid"))
        pk = (pid, raw_text(e.get("id"))) if "id" in e else ("noid",)
        prof = profiles.get(pk)
        if prof is None:
            prof = profiles[pk] = {"pid": pid, "tid": tid, "t": num_ns(e.get("ts")) or 0}
        elif name == "Profile":
            prof["tid"] = tid
        data = args.get("data") if isinstance(args.get("data"), dict) else {}
        cpu = data.get("cpuProfile") if isinstance(data.get("cpuProfile"), dict) else {}
        nl = cpu.get("nodes") if isinstance(cpu.get("nodes"), list) else []
        for n in nl:
            if not isinstance(n, dict) or "id" not in n:
                continue
            cf = n.get("callFrame") if isinstance(n.get("callFrame"), dict) else {}
            fn = cf.get("functionName")
            nodes[(pk, raw_text(n["id"]))] = [(pk, raw_text(n["parent"])) if "parent" in n else None,
                                            fn if isinstance(fn, str) and fn else "(anonymous)"]
        for n in nl:
            if isinstance(n, dict) and "id" in n and isinstance(n.get("children"), list):
                for ch in n["children"]:
                    node = nodes.get((pk, raw_text(ch)))
                    if node is not None and node[0] is None:
                        node[0] = (pk, raw_text(n["id"]))
        if name == "Profile" and num_ns(data.get("startTime")) is not None:
            prof["t"] = num_ns(data.get("startTime"))
        deltas = data.get("timeDeltas", cpu.get("timeDeltas"))
        deltas = deltas if isinstance(deltas, list) else []
        ids = cpu.get("samples") if isinstance(cpu.get("samples"), list) else []
        for i, sid in enumerate(ids):
            d = num_ns(deltas[i]) if i < len(deltas) else None
            prof["t"] += d or 0
            if isinstance(sid, bool) or not isinstance(sid, (int, D, str)):
                continue
            samples.append((prof["pid"], prof["tid"], prof["t"], 1, (pk, raw_text(sid)),
                            len(samples)))
    for e in top.get("samples") if isinstance(top.get("samples"), list) else []:
        if isinstance(e, dict):
            sf_sample(e)
    if not samples:
        return 0
    samples.sort(key=lambda s: (j(s[0]), j(s[1]), s[2], s[5]))
    gaps = sorted(b[2] - a[2] for a, b in zip(samples, samples[1:])
                  if a[0] == b[0] and a[1] == b[1] and b[2] > a[2])
    median = gaps[(len(gaps) - 1) // 2] if gaps else 1000000
    order = 0
    n_samples = 0
    run = {}  # thread -> [open [(name, start)], end]
    for i, (pid, tid, ts, weight, key, seq) in enumerate(samples):
        last = i + 1 == len(samples) or samples[i + 1][0] != pid or samples[i + 1][1] != tid
        width = median if last else samples[i + 1][2] - ts
        frames = []
        node = nodes.get(key)
        while node is not None and len(frames) < 1024:
            if node[0] is not None or node[1] != "(root)":
                frames.append(node[1])
            node = nodes.get(node[0]) if node[0] is not None else None
        if not frames:
            continue
        frames.reverse()
        th = (pid, ("samples", tid))
        opened, end = run.get(th, ([], None))
        keep = 0
        if end is not None and ts <= end:
            ts = end
            while keep < len(opened) and keep < len(frames) and opened[keep][0] == frames[keep]:
                keep += 1
        for name, start in opened[keep:]:
            order += 1
            slices[th].append(Slice(start, end - start, order, name, None, None))
        opened = opened[:keep] + [(f, ts) for f in frames[keep:]]
        run[th] = (opened, ts + max(width, 0))
        listed.add(th)
        n_samples += 1
        times.append((ts, ts))
        end_marks.append(ts)
    for th, (opened, end) in run.items():
        for name, start in opened:
            order += 1
            slices[th].append(Slice(start, end - start, order, name, None, None))
            times.append((start, end))
            end_marks.append(end)
    return n_samples


def count_flows(marks, repairs):
    """Arrows between consecutive steps of one flow id; a step with no open flow is dropped."""
    marks.sort(key=lambda m: (str(m[0]), m[1], m[2]))
    n = 0
    for i, (key, ts, idx, ph) in enumerate(marks):
        if ph == "s":
            continue
        if i > 0 and marks[i - 1][0] == key and marks[i - 1][3] != "f":
            n += 1
        else:
            repairs["unmatched_flow"] += 1
    return n


def group(m, keyf, name_re=None):
    """Summary rows {key: [count, total, self, max]} over the model's slices."""
    rows = {}
    for th, lst in m["_slices"].items():
        if isinstance(th[1], tuple) and th[1][0] == "lane":
            continue  # async lanes are not call stacks: summaries leave them out
        for s in lst:
            if name_re is not None and not name_re.search(s.name):
                continue
            k = keyf(s, th)
            r = rows.get(k)
            if r is None:
                rows[k] = [1, s.dur, s.dur - s.child, s.dur]
            else:
                r[0] += 1
                r[1] += s.dur
                r[2] += s.dur - s.child
                if s.dur > r[3]:
                    r[3] = s.dur
    return rows


def ordered(rows):
    return sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0]))


def key_name(s, th):
    return s.name


def key_detail(s, th):
    return s.detail if isinstance(s.detail, str) else "(no detail)"


# ------------------------------------------------------------------ demangling

MANGLED = re.compile(r"^_(Z|R)[A-Za-z0-9_$.]+$")
# A mangled symbol inside longer text (docs/cli.md): LLVM writes details such
# as "(_RNv...)" or "loop %x in function _ZN...". A token starts where the
# previous character cannot be part of a symbol.
EMBEDDED = re.compile(r"(?<![A-Za-z0-9_$.])_{1,2}[ZR][A-Za-z0-9_$.]+")


def cxxfilt(symbols, flags):
    if not symbols or not shutil.which("c++filt"):
        return None
    p = subprocess.run(["c++filt"] + flags, input="\n".join(symbols) + "\n",
                       capture_output=True, text=True, check=True)
    out = p.stdout.split("\n")
    return dict(zip(symbols, out[:len(symbols)]))


def demangle_maps(strings):
    """Two candidate demanglings: c++filt -i everywhere (no Rust hashes, no
    implementation details), and c++filt's default for C++ with -i for Rust.
    Each maps a whole string to its text with every embedded symbol that
    c++filt demangles replaced."""
    texts = sorted({s for s in strings if isinstance(s, str) and EMBEDDED.search(s)})
    tokens = sorted({t for s in texts for t in EMBEDDED.findall(s)})
    quiet = cxxfilt(tokens, ["-i"])
    if quiet is None:
        return None
    verbose = cxxfilt(tokens, [])
    rust = re.compile(r"^_R|^_ZN.*17h[0-9a-f]{16}E")
    alt = {t: (quiet[t] if rust.match(t) else verbose[t]) for t in tokens}

    def apply(tok_map):
        return {s: EMBEDDED.sub(lambda mt: tok_map.get(mt.group(0), mt.group(0)), s) for s in texts}

    return {"c++filt -i": apply(quiet), "c++filt (C++), c++filt -i (Rust)": apply(alt)}


# ------------------------------------------------------------------ comparison


class Report:
    def __init__(self):
        self.failed = []
        self.lines = []

    def check(self, title, diffs):
        if diffs:
            self.failed.append(title)
            self.lines.append("MISMATCH %s (%d difference%s):" %
                              (title, len(diffs), "" if len(diffs) == 1 else "s"))
            for d in diffs[:MAX_DIFFS]:
                self.lines.append("    " + d)
            if len(diffs) > MAX_DIFFS:
                self.lines.append("    ... %d more" % (len(diffs) - MAX_DIFFS))
        else:
            self.lines.append("ok       %s" % title)


def j(v):
    return json.dumps(v, ensure_ascii=False, default=str)


def cmp_scalar(diffs, what, exp, act):
    if not (exp == act and type(exp) is type(act)):
        diffs.append("%s: python %s, traceview %s" % (what, j(exp), j(act)))


def run_tv(tv, args, timings):
    t0 = time.time()
    p = subprocess.run([tv] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=TV_TIMEOUT)
    timings.append(("traceview " + " ".join(args[:1] + args[2:]), time.time() - t0))
    for marker in (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:"):
        if marker in p.stderr:
            SANITIZER.append("%s: %s" % (" ".join(args[:1] + args[2:]),
                                         p.stderr.decode("utf-8", "replace")[:2000]))
    return p


def tv_json(tv, args, timings, rep, title):
    p = run_tv(tv, args, timings)
    err = p.stderr.decode("utf-8", "backslashreplace").strip()
    if p.returncode != 0:
        rep.check(title, ["traceview exited %d: %s" % (p.returncode, err[:800])])
        return None
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        rep.check(title, ["stdout is not JSON (%s): %r" % (e, p.stdout[:300])])
        return None


def compare_info(m, info, rep, alt_model):
    d = []
    for k in ("format", "bytes", "events", "slices", "instants", "counter_samples", "flows",
              "samples"):
        cmp_scalar(d, k, m[k], info.get(k))
    if info.get("phases") != m["phases"]:
        ks = sorted(set(m["phases"]) | set(info.get("phases") or {}), key=str)
        for k in ks:
            a, b = m["phases"].get(k), (info.get("phases") or {}).get(k)
            if a != b:
                d.append("phases[%s]: python %s, traceview %s" % (j(k), a, b))
    tr = info.get("time_range_ns")
    if m["time_range_ns"] != tr:
        d.append("time_range_ns: python %s, traceview %s" % (m["time_range_ns"], tr))
    rep.check("info: counts, phases, time range", d)

    d = []
    act_rep = info.get("repairs") or {}
    for k, v in m["repairs"].items():
        if act_rep.get(k) != v:
            msg = "repairs.%s: python %s, traceview %s" % (k, v, act_rep.get(k))
            if k == "overlapping" and alt_model()["repairs"][k] == act_rep.get(k):
                msg += " (traceview matches the pop-only-the-top reading of the nesting rule)"
            d.append(msg)
    rep.check("info: repairs", d)

    d = []
    def tkey(t):
        c = t.get("count")
        return (t.get("name"), j(t.get("pid")), j(t.get("tid")), j(c), t.get("dur_ns"))
    exp_t = collections.Counter(tkey(t) for t in m["llvm_totals"])
    act_t = collections.Counter(tkey(t) for t in (info.get("llvm_totals") or []))
    if len(m["llvm_totals"]) != len(info.get("llvm_totals") or []):
        d.append("llvm_totals: python %d entries, traceview %d" %
                 (len(m["llvm_totals"]), len(info.get("llvm_totals") or [])))
    for k in sorted((exp_t - act_t).keys(), key=str):
        d.append("llvm_totals only in python: %s" % (k,))
    for k in sorted((act_t - exp_t).keys(), key=str):
        d.append("llvm_totals only in traceview: %s" % (k,))
    rep.check("info: llvm_totals", d)

    d = []
    act = info.get("threads") or []
    exp = m["threads"]
    stringy = any(isinstance(t["pid"], tuple) or isinstance(t["tid"], tuple) for t in exp)
    fields = ("kind", "name", "sort_index", "slices", "instants", "max_depth")
    if stringy:
        # string ids get numbers of traceview's choosing: compare without ids
        ek = collections.Counter(tuple(j(t.get(f)) for f in fields) for t in exp)
        ak = collections.Counter(tuple(j(t.get(f)) for f in fields) for t in act)
        for k in sorted((ek - ak).keys()):
            d.append("thread only in python (%s): %s" % (",".join(fields), ", ".join(k)))
        for k in sorted((ak - ek).keys()):
            d.append("thread only in traceview (%s): %s" % (",".join(fields), ", ".join(k)))
    else:
        em = {(t["pid"], t["tid"], t["kind"]): t for t in exp}
        am = {}
        for t in act:
            am[(t.get("pid"), t.get("tid"), t.get("kind"))] = t
        if len(am) != len(act):
            d.append("traceview lists a (pid, tid) more than once")
        for k in sorted(set(em) - set(am)):
            d.append("thread %s:%s only in python: %s" % (k[0], k[1], j(em[k])))
        for k in sorted(set(am) - set(em), key=str):
            d.append("thread %s:%s only in traceview: %s" % (k[0], k[1], j(am[k])))
        for k in sorted(set(em) & set(am)):
            for f in fields:
                if f == "max_depth" and "max_depth" not in am[k]:
                    continue
                if j(em[k][f]) != j(am[k].get(f)):
                    msg = "thread %s:%s %s: python %s, traceview %s" % (
                        k[0], k[1], f, j(em[k][f]), j(am[k].get(f)))
                    if f == "max_depth":
                        alt = {(t["pid"], t["tid"], t["kind"]): t for t in alt_model()["threads"]}
                        if alt.get(k, {}).get(f) == am[k].get(f):
                            msg += " (matches the pop-only-the-top reading)"
                    d.append(msg)
        # documented order: pid, then sort_index, then tid; null sort_index
        # may sort first or last (docs/cli.md does not say)
        def ok(nulls_last):
            keys = [(t.get("pid"), (t.get("sort_index") is None) == nulls_last,
                     t.get("sort_index") if t.get("sort_index") is not None else 0,
                     t.get("kind") != "thread", t.get("tid")) for t in act]
            try:
                return keys == sorted(keys)
            except TypeError:
                return False
        if not d and not ok(False) and not ok(True):
            d.append("threads are not sorted by pid, sort_index, tid: %s" %
                     [(t.get("pid"), t.get("sort_index"), t.get("tid")) for t in act][:30])
    rep.check("info: threads (%d)" % len(exp), d)


def compare_rows(exp_rows, summ, rep, title, fields=("count", "total_ns", "self_ns", "avg_ns",
                                                     "max_ns", "self_pct"), top=None):
    d = []
    exp = ordered(exp_rows)
    total_self = sum(r[2] for r in exp_rows.values())
    if top:
        exp = exp[:top]
    act = summ.get("rows") or []
    am = {}
    for r in act:
        if r.get("key") in am:
            d.append("key %s appears twice" % j(r.get("key")))
        am[r.get("key")] = r
    em = dict(exp)
    for k in [k for k, _ in exp if k not in am]:
        d.append("row only in python: %s %s" % (j(k), em[k]))
    for k in [r.get("key") for r in act if r.get("key") not in em]:
        d.append("row only in traceview: %s" % j(am[k]))
    for k, (cnt, tot, slf, mx) in exp:
        if k not in am:
            continue
        a = am[k]
        want = {"count": cnt, "total_ns": tot, "self_ns": slf, "max_ns": mx, "avg_ns": tot // cnt,
                "self_pct": 100.0 * slf / total_self if total_self else None}
        for f in fields:
            if f == "self_pct":
                if want[f] is not None and (not isinstance(a.get(f), (int, float)) or
                                            abs(a.get(f) - want[f]) > 0.0051):
                    d.append("%s self_pct: python %.4f, traceview %s" % (j(k), want[f], j(a.get(f))))
            elif a.get(f) != want[f]:
                d.append("%s %s: python %s, traceview %s" % (j(k), f, want[f], j(a.get(f))))
    if not d and [k for k, _ in exp] != [r.get("key") for r in act]:
        d.append("row order differs (total_ns descending, key ascending): python %s, traceview %s"
                 % (j([k for k, _ in exp][:10]), j([r.get("key") for r in act][:10])))
    if top is None:
        for f, v in (("events", sum(r[0] for r in exp_rows.values())),
                     ("total_ns", sum(r[1] for r in exp_rows.values())),
                     ("self_ns", total_self)):
            if summ.get(f) != v:
                d.append("top-level %s: python %s, traceview %s" % (f, v, j(summ.get(f))))
    rep.check(title, d)


def compare_demangled(m, tv, path, rep, timings, what, keyf_raw, tv_args):
    """The demangled grouping against c++filt: the top 10 rows in order (key,
    count, total_ns), then every row. Keys merge after demangling (a Rust
    legacy symbol without its hash can meet its v0 twin)."""
    raw_rows = group(m, keyf_raw)
    maps = demangle_maps(raw_rows.keys())
    if maps is None:
        rep.lines.append("skipped  demangled %s: c++filt not found" % what)
        return
    title = "summary --group-by %s (demangled) vs c++filt" % what
    summ = tv_json(tv, ["summary", path] + tv_args + ["--top", "0", "--json", "--quiet"],
                   timings, rep, title)
    if summ is None:
        return
    act = [(r.get("key"), r.get("count"), r.get("total_ns")) for r in summ.get("rows") or []]
    best = None
    for label, mp in maps.items():
        rows = {}
        for k, (c, t, s, mx) in raw_rows.items():
            dk = mp.get(k, k) if isinstance(k, str) else k
            r = rows.setdefault(dk, [0, 0, 0, 0])
            r[0] += c
            r[1] += t
        exp = [(k, r[0], r[1]) for k, r in ordered(rows)]
        if exp == act:
            n_mangled_top = sum(1 for k, _, _ in exp[:10] if k not in raw_rows)
            rep.lines.append("ok       %s: top 10 (%d of them demangled) and all %d rows match %s "
                             "(%d mangled symbols)" % (title, n_mangled_top, len(exp), label,
                                                       len(mp)))
            return
        diffs = []
        for i in range(min(10, max(len(exp), len(act)))):
            e = exp[i] if i < len(exp) else None
            a = act[i] if i < len(act) else None
            if e != a:
                diffs.append("top-10 row %d: %s %s, traceview %s" % (i + 1, label, j(e), j(a)))
        em = {k: (c, t) for k, c, t in exp}
        am = {k: (c, t) for k, c, t in act}
        for k in sorted(set(em) - set(am)):
            diffs.append("row only with %s: %s %s" % (label, j(k), em[k]))
        for k in sorted(set(am) - set(em), key=str):
            diffs.append("row only in traceview: %s %s" % (j(k), am[k]))
        for k in sorted(set(am) & set(em)):
            if am[k] != em[k]:
                diffs.append("%s count/total: %s %s, traceview %s" % (j(k), label, em[k], am[k]))
        if not diffs:
            diffs.append("same rows, different order after the top 10")
        if best is None or len(diffs) < len(best):
            best = diffs
    rep.check(title, best)


# ------------------------------------------------------------------ truncated copy

WS = re.compile(r"[ \t\n\r]*")
CUT_AT = 2_000_000  # bytes: cut the copy near here (or mid-file when smaller)


def event_starts(raw, fmt, target):
    """(events, byte offsets) of the events of raw up to and including the
    first event that starts at or after byte `target`, read one at a time with
    raw_decode. None when the file has too few events."""
    dec = json.JSONDecoder(parse_float=D, parse_constant=_no_constants)
    if fmt == "chrome-jsonl":
        evs, offs, pos = [], [], 0
        for line in raw.splitlines(keepends=True):
            if line.strip():
                evs.append(loads(line))
                offs.append(pos + len(line) - len(line.lstrip()))
                if offs[-1] >= target:
                    return evs, offs
            pos += len(line)
        return None
    text = raw.decode("utf-8")
    ascii_only = len(text) == len(raw)
    i = WS.match(text, 0).end()
    if fmt == "chrome-json-object":
        i += 1  # '{'
        while True:
            i = WS.match(text, i).end()
            key, i = dec.raw_decode(text, i)
            i = WS.match(text, i).end() + 1  # ':'
            i = WS.match(text, i).end()
            if key == "traceEvents":
                break
            _, i = dec.raw_decode(text, i)
            i = WS.match(text, i).end() + 1  # ','
    i += 1  # '['
    evs, offs = [], []
    tchar = target if ascii_only else len(raw[:target].decode("utf-8", "ignore"))
    while True:
        i = WS.match(text, i).end()
        if i >= len(text) or text[i] == "]":
            return None
        start = i
        ev, i = dec.raw_decode(text, i)
        evs.append(ev)
        offs.append((start, i))
        if start >= tchar:
            break
        i = WS.match(text, i).end()
        if i < len(text) and text[i] == ",":
            i += 1
    # the cut goes into the middle of the last event; byte offsets
    start, end = offs[-1]
    cut = start + max(1, (end - start) // 2)
    if ascii_only:
        return evs, [a for a, _ in offs[:-1]] + [start, cut]
    enc = lambda k: len(text[:k].encode("utf-8"))
    return evs, [None] * (len(offs) - 1) + [enc(start), enc(cut)]


def check_truncated(tv, fmt, raw, workdir, src, rep, timings):
    # a cut copy ends inside traceEvents: the top-level stackFrames and
    # samples after it are gone, so the model must not use the whole file's
    saved = getattr(load_events, "top", {})
    load_events.top = {}
    try:
        return check_truncated_copy(tv, fmt, raw, workdir, src, rep, timings)
    finally:
        load_events.top = saved


def check_truncated_copy(tv, fmt, raw, workdir, src, rep, timings):
    """A copy cut inside an event must load the events before it, warn with
    the byte offset where the cut event starts, and exit 0 (docs/cli.md)."""
    target = min(len(raw) // 2, CUT_AT)
    try:
        got = event_starts(raw, fmt, target)
    except (ValueError, IndexError) as e:
        rep.lines.append("skipped  truncated copy: cannot find event offsets (%s)" % e)
        return
    if got is None or len(got[0]) < 2:
        rep.lines.append("skipped  truncated copy: too few events")
        return
    evs, offs = got
    if fmt == "chrome-jsonl":
        start = offs[-1]
        cut = start + max(1, len(raw[start:].split(b"\n", 1)[0].rstrip()) // 2)
    else:
        start, cut = offs[-2], offs[-1]
    prefix = raw[:cut]
    parent = os.path.basename(os.path.dirname(os.path.abspath(src)))
    out = os.path.join(workdir, "%s__%s.cut%d" % (parent, os.path.basename(src), cut))
    os.makedirs(workdir, exist_ok=True)
    if not os.path.exists(out) or os.path.getsize(out) != len(prefix):
        with open(out + ".tmp", "wb") as f:
            f.write(prefix)
        os.replace(out + ".tmp", out)
    m = model(fmt, evs[:-1], len(prefix))
    title = "truncated copy (cut at byte %d inside the event at byte %d, %d events before)" % (
        cut, start, len(evs) - 1)
    p = run_tv(tv, ["info", out, "--json"], timings)
    err = p.stderr.decode("utf-8", "backslashreplace")
    d = []
    if p.returncode != 0:
        rep.check(title, ["traceview exited %d: %s" % (p.returncode, err.strip()[:500])])
        return
    want = "byte %d:" % start
    if not any("warning" in line and want in line for line in err.splitlines()):
        d.append("no warning naming %r on stderr: %r" % (want, err.strip()[:300]))
    try:
        info = json.loads(p.stdout)
    except ValueError as e:
        rep.check(title, d + ["stdout is not JSON: %s" % e])
        return
    if info.get("truncated") is not True:
        d.append("info.truncated: %s, expected true" % j(info.get("truncated")))
    rep.check(title + ": exit 0, warning, truncated", d)
    sub = Report()
    compare_info(m, info, sub, lambda: model(fmt, evs[:-1], len(prefix), pop_mode="top"))
    for line in sub.lines:
        rep.lines.append(line.replace("info:", "truncated copy info:", 1))
    rep.failed += ["truncated copy " + f for f in sub.failed]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--dump":
        tv, src, workdir = None, sys.argv[2], sys.argv[3]
    elif len(sys.argv) == 4:
        tv, src, workdir = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    timings = []
    t0 = time.time()
    path = materialize(src, workdir)
    timings.append(("decompress" if path != src else "no decompression", time.time() - t0))
    t0 = time.time()
    with open(path, "rb") as f:
        raw = f.read()
    load_error = None
    try:
        fmt, events = load_events(raw)
    except (ValueError, RecursionError) as e:
        load_error = str(e)
    timings.append(("python json", time.time() - t0))
    if load_error is None:
        t0 = time.time()
        try:
            m = model(fmt, events, len(raw))
        except ValueError as e:
            load_error = str(e)
        memo = []

        def alt():
            # the other reading of the nesting rule, only to explain a difference
            if not memo:
                memo.append(model(fmt, events, len(raw), pop_mode="top"))
            return memo[0]
        timings.append(("python model", time.time() - t0))
    print("corpus file: %s%s (%d bytes)" % (src, " -> " + path if path != src else "", len(raw)))

    if load_error is not None:
        # Python cannot read it as a Chrome trace: traceview must refuse it too.
        print("python cannot load it: %s" % load_error)
        if tv is None:
            return 0
        p = run_tv(tv, ["info", path, "--json", "--quiet"], timings)
        err = p.stderr.decode("utf-8", "backslashreplace").strip()
        if p.returncode == 1 and err:
            print("ok: traceview also refuses it (exit 1): %s" % err[:300])
            return 0
        print("MISMATCH: traceview exit %d (expected 1 with a message): %s" % (p.returncode, err[:300]))
        return 1

    print("python: %s, %d events, %d slices, %d threads, %d llvm totals, phases %s" % (
        fmt, m["events"], m["slices"], len(m["threads"]), len(m["llvm_totals"]),
        j(dict(sorted(m["phases"].items(), key=lambda kv: -kv[1])))))
    for k, v in sorted(m["_notes"].items()):
        print("note (docs/cli.md does not say; python's assumption): %s: %d" % (k, v))
    if tv is None:
        view = {k: v for k, v in m.items() if not k.startswith("_")}
        view["threads"] = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in t.items()}
                           for t in sorted(m["threads"], key=lambda t: j((t["pid"], t["tid"])))]
        print(j(view))
        for t, s in timings:
            print("time %-40s %.2f s" % (t, s))
        return 0

    rep = Report()
    info = tv_json(tv, ["info", path, "--json", "--quiet"], timings, rep, "traceview info")
    if info is not None:
        compare_info(m, info, rep, alt)

    by_name = group(m, key_name)
    mangled_names = any(MANGLED.match(k) for k in by_name)
    extra = ["--no-demangle"] if mangled_names else []
    summ = tv_json(tv, ["summary", path, "--json", "--group-by", "name", "--top", "0",
                        "--quiet"] + extra, timings, rep, "summary --group-by name")
    if summ is not None:
        compare_rows(by_name, summ, rep, "summary --group-by name%s (%d rows)" %
                     (" --no-demangle" if extra else "", len(by_name)))

    by_detail = group(m, key_detail)
    summ = tv_json(tv, ["summary", path, "--json", "--group-by", "detail", "--no-demangle",
                        "--top", "0", "--quiet"], timings, rep, "summary --group-by detail")
    if summ is not None:
        compare_rows(by_detail, summ, rep, "summary --group-by detail --no-demangle (%d rows)" %
                     len(by_detail))

    filt = group(m, key_detail, re.compile(r"^OptFunction$"))
    summ = tv_json(tv, ["summary", path, "--filter", "^OptFunction$", "--group-by", "detail",
                        "--no-demangle", "--top", "10", "--json", "--quiet"], timings, rep,
                   "summary --filter ^OptFunction$")
    if summ is not None:
        compare_rows(filt, summ, rep, "summary --filter '^OptFunction$' --group-by detail "
                     "--no-demangle --top 10 (%d rows before --top)" % len(filt),
                     fields=("count", "total_ns", "max_ns"), top=10)

    llvm_shaped = bool(m["llvm_totals"]) or "/rustc/" in src or "/clang/" in src
    if llvm_shaped:
        compare_demangled(m, tv, path, rep, timings, "detail", key_detail,
                          ["--group-by", "detail"])
        if mangled_names:
            compare_demangled(m, tv, path, rep, timings, "name", key_name,
                              ["--group-by", "name"])

    check_truncated(tv, fmt, raw, workdir, src, rep, timings)
    rep.check("no sanitizer reports", SANITIZER)

    print("\n".join(rep.lines))
    for t, s in timings:
        print("time %-60s %.2f s" % (t, s))
    if rep.failed:
        print("FAILED: %s" % "; ".join(rep.failed))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
