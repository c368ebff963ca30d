#!/usr/bin/env python3
"""Checks traceview against an independent Python reading of one V8 CPU
profile, Jaeger JSON or OTLP JSON file.

    check_profiles.py TRACEVIEW CORPUS_FILE WORKDIR

A .gz file is read with the gzip module (traceview decompresses it itself).
Python's json module reads the whole file (numbers as decimal.Decimal, so
microseconds convert to integer nanoseconds exactly), the rules of docs/cli.md
are applied here, written separately from the C code, and compared with
`traceview info FILE --json --quiet` and `traceview summary FILE --json
--group-by name --top 0`.

cpuprofile (current {"nodes","samples","timeDeltas"} and old {"head",
"samples","timestamps"}):
  * info: samples = number of samples with a time and a known node; weight;
    one listed thread (pid 1, tid 1, "main"); time_range_ns = [first sample
    time, last sample time + median width].
  * summary rows, per function name (functionName or "(anonymous)", stack
    = the node's ancestors, root first, without the "(root)" root): sample i
    covers [t_i, t_(i+1)) after a stable sort by time, the last one the
    median width. summary sums the durations of slices, and consecutive
    samples sharing a stack prefix extend the same slice, so:
      total_ns(f) = sum over samples of width * (occurrences of f in its stack)
      self_ns(f)  = sum over samples whose leaf is f of width
      count(f)    = slices of f = positions where f starts a new run (a frame
                    at depth d continues only while the prefix [0..d] is equal
                    to the previous sample's)
    The "time in f" of a flame graph (sum of widths of samples whose stack
    contains f) equals total_ns(f) only when f is never recursive: that
    comparison is made for the non-recursive functions and the recursive ones
    are listed (their summary total counts nested frames once per level).
Jaeger and OTLP:
  * info: spans = spans with a start time; per-service span counts (the
    slices of the lane threads of the process named by the service); flows =
    links (Jaeger: FOLLOWS_FROM and every reference after the first CHILD_OF;
    OTLP: links) whose target span is in the file.
  * summary rows per operation name: count, total_ns (sum of durations; a
    missing or negative duration is 0).

Exit 0 when everything matches, 1 otherwise (the first 20 differences per
check are printed). A sanitizer report on traceview's stderr is a failure.
"""
import collections
import decimal
import gzip
import json
import subprocess
import sys

D = decimal.Decimal
MAX_DIFFS = 20


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return json.loads(f.read(), parse_float=D)


def ns(v, pow10):
    """A JSON number or numeric string -> integer ns, half away from zero."""
    d = D(str(v)).scaleb(pow10)
    return int(d.to_integral_value(rounding=decimal.ROUND_HALF_UP))


def run(tv, args):
    p = subprocess.run([tv] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    if "Sanitizer" in err or "runtime error" in err:
        print("FAIL sanitizer report:\n" + err[:4000])
        sys.exit(1)
    if p.returncode != 0:
        print("FAIL %s exited %d: %s" % (" ".join(args), p.returncode, err[:2000]))
        sys.exit(1)
    return json.loads(p.stdout)


class Diffs:
    def __init__(self):
        self.n = 0

    def check(self, what, exp, act):
        if exp != act:
            self.n += 1
            if self.n <= MAX_DIFFS:
                print("DIFF %s: expected %r, got %r" % (what, exp, act))


# ------------------------------------------------------------------ cpuprofile

def profile_view(prof):
    nodes = {}   # id -> (name, parent id)
    if "nodes" in prof:
        for n in prof["nodes"]:
            cf = n.get("callFrame", {})
            nodes.setdefault(n["id"], [cf.get("functionName") or "(anonymous)", n.get("parent")])
        for n in prof["nodes"]:
            for c in n.get("children", []):
                if c in nodes:
                    nodes[c][1] = n["id"]
    else:
        todo = [(prof["head"], None)]
        while todo:
            n, parent = todo.pop()
            nodes.setdefault(n["id"], [n.get("functionName") or "(anonymous)", parent])
            for c in n.get("children", []):
                todo.append((c, n["id"]))

    def stack(nid):
        out = []
        while nid is not None and nid in nodes:
            name, parent = nodes[nid]
            if not (name == "(root)" and (parent is None or parent not in nodes)):
                out.append(name)
            nid = parent
        return out[::-1]

    samples = prof.get("samples", [])
    if "timeDeltas" in prof:
        t = ns(prof.get("startTime", 0), 3)
        times = []
        for d in prof["timeDeltas"][:len(samples)]:
            t += ns(d, 3)
            times.append(t)
    else:
        times = [ns(x, 3) for x in prof["timestamps"][:len(samples)]]
    n = len(times)
    order = sorted(range(n), key=lambda i: times[i])  # stable
    widths = [times[order[k + 1]] - times[order[k]] for k in range(n - 1)]
    median = sorted(widths)[(n - 1) // 2] if n >= 2 else 0
    widths.append(median)
    seq = []  # (time, width, stack) in time order, known nodes only
    for k, i in enumerate(order):
        if samples[i] in nodes:
            seq.append((times[i], widths[k], stack(samples[i])))
    return seq, median


def check_cpuprofile(tv, path, prof, diffs):
    seq, median = profile_view(prof)
    info = run(tv, ["info", path, "--json", "--quiet"])
    diffs.check("info.format", "cpuprofile", info["format"])
    diffs.check("info.samples", len(seq), info["samples"])
    diffs.check("info.weight", len(seq), info["weight"])
    threads = [(t["pid"], t["tid"], t["name"], t["samples"]) for t in info["threads"]]
    diffs.check("info.threads", [(1, 1, "main", len(seq))], threads)
    if seq:
        diffs.check("info.time_range_ns", [seq[0][0], seq[-1][0] + seq[-1][1]], info["time_range_ns"])

    total, self_, count, contains = (collections.Counter() for _ in range(4))
    prev = None
    for ts, w, st in seq:
        for d, f in enumerate(st):
            total[f] += w
            if prev is None or d >= len(prev) or prev[:d + 1] != st[:d + 1]:
                count[f] += 1
        for f in set(st):
            contains[f] += w
        if st:
            self_[st[-1]] += w
        prev = st
    recursive = {f for _, _, st in seq for f, c in collections.Counter(st).items() if c > 1}
    summary = run(tv, ["summary", path, "--json", "--group-by", "name", "--top", "0"])
    rows = {r["key"]: r for r in summary["rows"]}
    diffs.check("summary.names", sorted(total), sorted(rows))
    for f in sorted(total):
        r = rows.get(f)
        if not r:
            continue
        diffs.check("summary[%s].total_ns" % f, total[f], r["total_ns"])
        diffs.check("summary[%s].self_ns" % f, self_[f], r["self_ns"])
        diffs.check("summary[%s].count" % f, count[f], r["count"])
        if f not in recursive:
            diffs.check("summary[%s].total_ns == time in f" % f, contains[f], r["total_ns"])
    print("cpuprofile: %d samples, median width %d ns, %d functions (%d recursive: %s)"
          % (len(seq), median, len(total), len(recursive), ", ".join(sorted(recursive)[:8])))


# ------------------------------------------------------------------ spans

def norm(i):
    i = (i or "").lower().lstrip("0")
    return i or ("0" if i is not None else "")


def jaeger_spans(doc):
    data = doc.get("data", doc) if isinstance(doc, dict) else doc
    traces = data if isinstance(data, list) else [data]
    spans, links = [], []
    for tr in traces:
        procs = {k: v.get("serviceName") for k, v in tr.get("processes", {}).items()}
        for s in tr.get("spans", []):
            if "startTime" not in s:
                continue
            svc = (s.get("process") or {}).get("serviceName") or procs.get(s.get("processID")) \
                or s.get("processID") or "unknown_service"
            dur = max(ns(s.get("duration", 0), 3), 0)
            key = (norm(s.get("traceID")), norm(s.get("spanID")))
            spans.append((key, s.get("operationName", ""), svc, dur))
            parent_taken = False
            for r in s.get("references", []):
                child_of = r.get("refType", "CHILD_OF") == "CHILD_OF"
                if child_of and not parent_taken:
                    parent_taken = True
                    continue
                links.append((norm(r.get("traceID", s.get("traceID"))), norm(r.get("spanID"))))
    return spans, links


def otlp_spans(doc):
    spans, links = [], []
    for rs in doc.get("resourceSpans", []):
        svc = "unknown_service"
        for a in rs.get("resource", {}).get("attributes", []):
            if a.get("key") == "service.name" and "stringValue" in a.get("value", {}):
                svc = a["value"]["stringValue"]
        for ss in rs.get("scopeSpans", rs.get("instrumentationLibrarySpans", [])):
            for s in ss.get("spans", []):
                if "startTimeUnixNano" not in s:
                    continue
                start = ns(s["startTimeUnixNano"], 0)
                end = ns(s.get("endTimeUnixNano", start), 0)
                key = (norm(s.get("traceId")), norm(s.get("spanId")))
                spans.append((key, s.get("name", ""), svc, max(end - start, 0)))
                for l in s.get("links", []):
                    links.append((norm(l.get("traceId", s.get("traceId"))), norm(l.get("spanId"))))
    return spans, links


def check_spans(tv, path, fmt, spans, links, diffs):
    info = run(tv, ["info", path, "--json", "--quiet"])
    diffs.check("info.format", fmt, info["format"])
    diffs.check("info.spans", len(spans), info["spans"])
    keys = {k for k, _, _, _ in spans}
    diffs.check("info.flows", sum(1 for l in links if l in keys), info["flows"])
    per_service = collections.Counter(svc for _, _, svc, _ in spans)
    pname = {p["pid"]: p["name"] for p in info["processes"]}
    got = collections.Counter()
    for t in info["threads"]:
        if t.get("kind") == "spans":
            got[pname.get(t["pid"])] += t["slices"]
    diffs.check("per-service spans", dict(per_service), dict(got))
    summary = run(tv, ["summary", path, "--json", "--group-by", "name", "--top", "0"])
    rows = {r["key"]: (r["count"], r["total_ns"]) for r in summary["rows"]}
    exp = collections.defaultdict(lambda: [0, 0])
    for _, op, _, dur in spans:
        exp[op or ""][0] += 1
        exp[op or ""][1] += dur
    exp = {k: tuple(v) for k, v in exp.items()}
    diffs.check("summary per operation (count, total_ns)", exp, rows)
    print("%s: %d spans, %d services, %d operations, %d links" % (fmt, len(spans), len(per_service), len(exp), len(links)))


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    tv, path = sys.argv[1], sys.argv[2]
    doc = load(path)
    diffs = Diffs()
    if isinstance(doc, dict) and "resourceSpans" in doc:
        spans, links = otlp_spans(doc)
        check_spans(tv, path, "otlp", spans, links, diffs)
    elif isinstance(doc, dict) and ("nodes" in doc or "head" in doc):
        check_cpuprofile(tv, path, doc, diffs)
    else:
        spans, links = jaeger_spans(doc)
        check_spans(tv, path, "jaeger", spans, links, diffs)
    if diffs.n:
        print("FAIL %d differences" % diffs.n)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
