#!/usr/bin/env python3
"""Checks `traceview flamegraph` against an independent Python reading of a trace.

    check_flame.py TRACEVIEW TRACE WORKDIR              the CLI checks below
    check_flame.py --interact TRACEVIEW TRACE WORKDIR   the SVG's script, in chromium

Python's json module reads TRACE (decimals exactly: ns = us * 1000 rounded to
the nearest integer, halves away from zero) and the rules of docs/cli.md are
applied here, written separately from the C code:

  slices   X events, except LLVM totals ("Total ..." with ts 0 and args.count);
           B/E matched per (pid, tid) as a stack in a stable ts order, an E
           with nothing open dropped, a B never closed closed at the end of the
           trace; a negative dur is 0
  nesting  per thread by (start, longer first, file order); pop every open
           slice that ends at or before the new start; zero-length slices are
           never parents; top level = depth 0
  ranges   --range A..B is relative to the trace start (the first slice,
           instant or counter sample); slices partly inside count only their
           part inside [start + A, start + B) (docs/api.md "Ranges")

Checks, each for the whole trace and for two ranges:
  (a) `--folded` is read by a folded-stack reader written here (the format
      flamegraph.pl and inferno accept: one 'frame;frame;... COUNT' per line,
      the last space separates the count, a non-negative integer); the sum of
      counts is the sum of the top-level slices' (clipped) durations. With
      `--label name` (and `detail` / `both` when no string in the trace would
      need demangling) every stack's self time equals Python's merged tree.
  (b) `-o OUT.svg` parses as XML (xml.dom.minidom), has a <script>, has
      frames, and its root frame's total is the same sum.
  (c) `--inverted`: the same total, folded stacks are the normal ones
      reversed, and the SVG draws the root on top.
  (d) `--range`: as (a)-(c) against the clipped Python totals; `--thread`
      on the busiest thread.
A sanitizer report on traceview's stderr fails the check. A gzip-compressed
TRACE is decompressed into WORKDIR first (traceview reads no gzip yet).

--interact loads the SVG in headless chromium with a small driver script
appended (prompt() answered by the driver): it clicks a frame, searches, hovers,
resets, and the DOM state after each step is compared with what the frame
data says (zoomed frame at full width, ancestors stretched, unrelated frames
hidden, matches highlighted, the matched share). Exit 77 (skipped) without
chromium.
"""
import collections
import decimal
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import xml.dom.minidom

D = decimal.Decimal
CTX = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)  # half away from zero
NO_NAME = "(no name)"
# a mangled symbol somewhere in a string (traceview demangles those in labels)
MANGLED = re.compile(r"(?<![A-Za-z0-9_$.])_{1,2}[ZR][A-Za-z0-9_$.]+")
XPAD, FRAME_H = 10, 16
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


# ------------------------------------------------------------------ model


def to_ns(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        try:
            v = D(v)
        except decimal.InvalidOperation:
            return None
    if isinstance(v, (int, D)):
        return int(CTX.multiply(D(v), D(1000)).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    return None


def materialize(path, work):
    """path, or its decompressed copy in work (traceview reads no gzip yet)."""
    with open(path, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            return path
    out = os.path.join(work, os.path.basename(path)[:-3] if path.endswith(".gz")
                       else os.path.basename(path) + ".raw")
    if not (os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(path)):
        tmp = "%s.tmp.%d" % (out, os.getpid())
        with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, out)
    return out


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    doc = json.loads(raw.decode("utf-8"), parse_float=D)
    return doc["traceEvents"] if isinstance(doc, dict) else doc


class Slice:
    __slots__ = ("start", "dur", "order", "name", "detail", "children", "parent")

    def __init__(self, start, dur, order, name, detail):
        self.start, self.dur, self.order = start, dur, order
        self.name, self.detail = name, detail
        self.children, self.parent = [], None

    @property
    def end(self):
        return self.start + self.dur


def text(v):
    return v if isinstance(v, str) and v else NO_NAME


def detail_of(ev):
    args = ev.get("args")
    d = args.get("detail") if isinstance(args, dict) else None
    return d if isinstance(d, str) and d else None


class Model:
    def __init__(self, events):
        self.threads = collections.defaultdict(list)  # (pid, tid) -> [Slice]
        marks = collections.defaultdict(list)
        times = []  # starts of slices, instants, counter samples
        ends = []   # what the end of the trace is taken from
        self.strings = set()
        for idx, e in enumerate(events):
            if not isinstance(e, dict):
                continue
            ph = e.get("ph")
            if ph not in ("X", "B", "E", "i", "I", "C"):
                continue
            ts = to_ns(e.get("ts"))
            if ts is None:
                continue
            th = (e.get("pid", 0), e.get("tid", 0))
            args = e.get("args") if isinstance(e.get("args"), dict) else {}
            if ph == "X":
                name = e.get("name")
                if isinstance(name, str) and name.startswith("Total ") and ts == 0 and "count" in args:
                    continue  # an LLVM total, not a slice
                dur = to_ns(e.get("dur")) or 0
                dur = max(dur, 0)
                self.threads[th].append(Slice(ts, dur, idx, text(name), detail_of(e)))
                times.append(ts)
                ends.append(ts + dur)
            elif ph in ("B", "E"):
                marks[th].append((ts, idx, ph, e))
                ends.append(ts)
            elif ph in ("i", "I"):
                times.append(ts)
                ends.append(ts)
            elif ph == "C":
                if any(isinstance(v, (int, D)) and not isinstance(v, bool) for v in args.values()):
                    times.append(ts)
                    ends.append(ts)
        trace_end = max(ends) if ends else 0
        for th, lst in marks.items():
            lst.sort(key=lambda m: m[0])  # stable
            stack = []
            for ts, idx, ph, e in lst:
                if ph == "B":
                    stack.append((ts, idx, e))
                elif stack:
                    bts, bidx, b = stack.pop()
                    self.threads[th].append(Slice(bts, ts - bts, bidx, text(b.get("name")), detail_of(b)))
                    times.append(bts)
            for bts, bidx, b in stack:
                self.threads[th].append(Slice(bts, trace_end - bts, bidx, text(b.get("name")), detail_of(b)))
                times.append(bts)
        self.origin = min(times) if times else 0
        self.trace_max = max([s.end for l in self.threads.values() for s in l] + [t for t in times]) \
            if times else 0
        self.tops = {}
        for th, lst in self.threads.items():
            lst.sort(key=lambda s: (s.start, -s.dur, s.order))
            stack, tops = [], []
            for s in lst:
                stack = [p for p in stack if p.end > s.start]
                if stack:
                    s.parent = stack[-1]
                    stack[-1].children.append(s)
                else:
                    tops.append(s)
                if s.dur > 0:
                    stack.append(s)
            self.tops[th] = tops
            for s in lst:
                self.strings.add(s.name)
                if s.detail:
                    self.strings.add(s.detail)

    def needs_demangling(self, kind):
        if kind == "name":
            return any(MANGLED.search(s.name) for l in self.threads.values() for s in l)
        return any(MANGLED.search(s) for s in self.strings)

    def folded(self, t0, t1, kind, threads=None):
        """{stack tuple: self ns} of the merged tree over [t0, t1), and the root total."""
        def clip(s):
            return max(0, min(s.end, t1) - max(s.start, t0))

        def label(s):
            if kind == "name":
                t = s.name
            elif kind == "detail":
                t = s.detail or s.name
            else:
                t = s.name + (": " + s.detail if s.detail else "")
            return t.replace(";", ",").replace("\n", " ").replace("\r", " ")

        out = collections.Counter()
        total = 0
        for th, tops in self.tops.items():
            if threads is not None and th not in threads:
                continue
            work = [(s, ()) for s in tops]
            while work:
                s, path = work.pop()
                c = clip(s)
                if c == 0:
                    continue  # outside the range, or zero-length: adds no time
                if not path:
                    total += c
                p = path + (label(s),)
                out[p] += c - sum(clip(k) for k in s.children)
                work.extend((k, p) for k in s.children)
        return {k: v for k, v in out.items() if v > 0}, total


# ---------------------------------------------------------------- running


def run(tv, args):
    p = subprocess.run([tv] + args + ["--quiet"], capture_output=True, timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    if "Sanitizer" in err or "runtime error:" in err:
        fail("sanitizer report for %s:\n%s" % (" ".join(args), err[:4000]))
    if not check(p.returncode == 0, "traceview %s: exit %d: %s" % (" ".join(args), p.returncode, err[:500])):
        return None
    check(err == "", "traceview %s wrote to stderr with --quiet: %s" % (" ".join(args), err[:300]))
    return p.stdout


def read_folded(data, what):
    """An independent folded-stack reader: {stack tuple: count}."""
    out = collections.Counter()
    if data == b"":
        return out
    if not check(data.endswith(b"\n"), "%s: output does not end with a newline" % what):
        return None
    for n, raw in enumerate(data[:-1].split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            fail("%s: line %d is not UTF-8: %s" % (what, n, e))
            return None
        stack, sep, count = line.rpartition(" ")
        if not check(sep and stack and re.fullmatch(r"[0-9]+", count) is not None,
                     "%s: line %d is not 'frames COUNT': %r" % (what, n, line[:200])):
            return None
        frames = tuple(stack.split(";"))
        if not check(all(frames) and "\r" not in stack,
                     "%s: line %d has an empty frame or a CR: %r" % (what, n, line[:200])):
            return None
        out[frames] += int(count)
    return out


def compare_stacks(got, want, what):
    if got == want:
        return
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    differ = [k for k in want if k in got and got[k] != want[k]]
    fail("%s: %d stacks differ (%d missing, %d extra, %d with other times)"
         % (what, len(missing) + len(extra) + len(differ), len(missing), len(extra), len(differ)))
    for k in (missing[:5] + extra[:5] + differ[:5]):
        print("   %s: traceview %s, python %s" % (";".join(k)[:300], got.get(k), want.get(k)))


def svg_frames(path, what):
    try:
        doc = xml.dom.minidom.parse(path)
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        fail("%s: not well-formed XML: %s" % (what, e))
        return None
    root = doc.documentElement
    check(root.tagName == "svg", "%s: root element is <%s>" % (what, root.tagName))
    scripts = doc.getElementsByTagName("script")
    check(scripts and "addEventListener" in "".join(c.data for c in scripts[0].childNodes),
          "%s: no <script> with event handlers" % what)
    frames = []
    for g in doc.getElementsByTagName("g"):
        if g.getAttribute("class") != "f":
            continue
        title = "".join(c.data for c in g.getElementsByTagName("title")[0].childNodes)
        rect = g.getElementsByTagName("rect")[0]
        frames.append({"title": title, "x": int(g.getAttribute("data-x")),
                       "w": int(g.getAttribute("data-w")), "d": int(g.getAttribute("data-d")),
                       "px": float(rect.getAttribute("x")), "pw": float(rect.getAttribute("width")),
                       "y": float(rect.getAttribute("y"))})
    return frames


def check_svg(tv, trace, out, args, total, inverted, what):
    if run(tv, ["flamegraph", trace, "-o", out] + args) is None:
        return
    frames = svg_frames(out, what)
    if frames is None:
        return
    if total == 0:
        check(not frames and "no samples in the selection" in open(out, encoding="utf-8").read(),
              "%s: empty selection but %d frames" % (what, len(frames)))
        return
    if not check(frames, "%s: no frames" % what):
        return
    roots = [f for f in frames if f["d"] == 0]
    if not check(len(roots) == 1 and roots[0]["title"].startswith("all ("),
                 "%s: expected one root frame 'all', got %r" % (what, [f["title"] for f in roots])):
        return
    root = roots[0]
    check(root["w"] == total, "%s: root total %d, python %d" % (what, root["w"], total))
    plot = root["pw"]
    for f in frames:
        want_pw, want_px = f["w"] / total * plot, XPAD + f["x"] / total * plot
        if not check(abs(f["pw"] - want_pw) < 0.01 and abs(f["px"] - want_px) < 0.01 and f["pw"] >= 0.1,
                     "%s: frame %r at %.3f+%.3f px, expected %.3f+%.3f" %
                     (what, f["title"][:80], f["px"], f["pw"], want_px, want_pw)):
            break
        dy = (f["y"] - root["y"]) / FRAME_H * (1 if inverted else -1)
        if not check(dy == f["d"], "%s: frame %r at depth %d drawn %g rows from the root"
                     % (what, f["title"][:80], f["d"], dy)):
            break
    print("  %s: %d frames, root %d ns" % (what, len(frames), root["w"]))


def check_cli(tv, trace, work):
    os.makedirs(work, exist_ok=True)
    trace = materialize(trace, work)
    events = load(trace)
    m = Model(events)
    base = os.path.join(work, os.path.basename(trace))
    span = m.trace_max - m.origin + 1
    # the whole trace, a middle part and the first third (ns, relative)
    ranges = [None, (span // 5, span * 7 // 10), (0, span // 3)]
    kinds = ["name"] + [k for k in ("detail", "both") if not m.needs_demangling(k)]
    print("%s: %d threads, %d slices, origin %d ns, span %d ns; exact stacks for --label %s"
          % (trace, len(m.threads), sum(len(v) for v in m.threads.values()), m.origin, span, "/".join(kinds)))
    for rg in ranges:
        if rg is None:
            t0, t1, rargs, tag = -2**63, 2**63, [], "whole trace"
        else:
            t0, t1 = m.origin + rg[0], m.origin + rg[1]
            rargs, tag = ["--range", "%dns..%dns" % rg], "range %dns..%dns" % rg
        _, total = m.folded(t0, t1, "name")
        # (a) folded, default label (both): the sum
        out = run(tv, ["flamegraph", trace, "--folded"] + rargs)
        if out is not None:
            st = read_folded(out, "%s --folded" % tag)
            if st is not None:
                check(sum(st.values()) == total, "%s --folded: counts sum to %d, python's top-level "
                      "slices to %d" % (tag, sum(st.values()), total))
                print("  %s --folded: %d stacks, %d ns" % (tag, len(st), sum(st.values())))
        # exact stacks per label kind
        normal = None
        for kind in kinds:
            want, _ = m.folded(t0, t1, kind)
            out = run(tv, ["flamegraph", trace, "--folded", "--label", kind] + rargs)
            got = read_folded(out, "%s --label %s" % (tag, kind)) if out is not None else None
            if got is not None:
                compare_stacks(got, want, "%s --folded --label %s" % (tag, kind))
                if kind == "name":
                    normal = got
        # (c) inverted: reversed stacks, same total
        out = run(tv, ["flamegraph", trace, "--folded", "--inverted", "--label", "name"] + rargs)
        inv = read_folded(out, "%s --inverted" % tag) if out is not None else None
        if inv is not None and normal is not None:
            check(sum(inv.values()) == total, "%s --inverted: counts sum to %d, expected %d"
                  % (tag, sum(inv.values()), total))
            rev = collections.Counter()
            for k, v in normal.items():
                rev[tuple(reversed(k))] += v
            compare_stacks(inv, dict(rev), "%s --folded --inverted (vs the normal stacks reversed)" % tag)
        # (b) SVG, normal and inverted
        check_svg(tv, trace, base + ".svg", rargs, total, False, "%s svg" % tag)
        check_svg(tv, trace, base + ".inverted.svg", rargs + ["--inverted"], total, True,
                  "%s svg --inverted" % tag)
    # one thread: the busiest (numeric ids only: --thread takes pid:tid)
    busy = sorted(((sum(s.dur for s in tops), th) for th, tops in m.tops.items()
                   if all(isinstance(x, int) and not isinstance(x, bool) for x in th)), reverse=True)
    if len(busy) > 1:
        th = busy[0][1]
        want, total = m.folded(-2**63, 2**63, "name", threads={th})
        out = run(tv, ["flamegraph", trace, "--folded", "--label", "name", "--thread", "%d:%d" % th])
        got = read_folded(out, "--thread") if out is not None else None
        if got is not None:
            compare_stacks(got, want, "--thread %d:%d --folded --label name" % th)
            print("  --thread %d:%d: %d stacks, %d ns" % (th + (len(got), sum(got.values()))))


# ------------------------------------------------------------ interaction

DRIVER = r"""<script type="text/ecmascript"><![CDATA[
window.addEventListener("load", function () {
  var answer = "";
  window.prompt = function () { return answer; };
  function state() {
    var out = [], gs = document.querySelectorAll("g.f");
    for (var i = 0; i < gs.length; i++) {
      var r = gs[i].querySelector("rect");
      out.push([gs[i].getAttribute("display") !== "none", +r.getAttribute("x"), +r.getAttribute("width"),
                r.getAttribute("fill"), gs[i].querySelector("text").textContent]);
    }
    return {frames: out, details: document.getElementById("details").textContent,
            matched: document.getElementById("matched").textContent,
            unzoom: document.getElementById("unzoom").getAttribute("class"),
            search: document.getElementById("search").textContent};
  }
  function click(el) { el.dispatchEvent(new MouseEvent("click", {bubbles: true})); }
  var steps = {initial: state()}, gs = document.querySelectorAll("g.f");
  click(gs[TARGET].querySelector("rect"));
  steps.zoomed = state();
  answer = "REGEX";
  click(document.getElementById("search"));
  steps.searched = state();
  gs[TARGET].querySelector("rect").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  steps.hover = state();
  click(document.getElementById("unzoom"));
  steps.unzoomed = state();
  answer = "";
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "f", ctrlKey: true, bubbles: true}));
  steps.cleared = state();
  var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
  t.setAttribute("id", "tv-test-result");
  t.textContent = JSON.stringify(steps);
  document.documentElement.appendChild(t);
});
]]></script>
"""


def check_interaction(tv, trace, work):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium not found: skipped")
        return 77
    os.makedirs(work, exist_ok=True)
    trace = materialize(trace, work)
    svg = os.path.join(work, "interact.svg")
    if run(tv, ["flamegraph", trace, "-o", svg]) is None:
        return 1
    frames = svg_frames(svg, "svg")
    if not frames:
        return 1
    total = next(f["w"] for f in frames if f["d"] == 0)
    plot = next(f["pw"] for f in frames if f["d"] == 0)
    # zoom into the widest frame at depth 2 that has drawn children
    cands = [i for i, f in enumerate(frames) if f["d"] == 2 and
             any(g["d"] == 3 and f["x"] <= g["x"] < f["x"] + f["w"] for g in frames)]
    target = max(cands or [i for i, f in enumerate(frames) if f["d"] == 1], key=lambda i: frames[i]["w"])
    z = frames[target]
    labels = [f["title"][:f["title"].rindex(" (")] for f in frames]
    # search for the first words of the target's label and of its widest
    # child's (e.g. "OptFunction" and "RunPass"): matches nest, so the share
    # must count the nested ones once
    def word(i):
        return re.match(r"[A-Za-z_]*", labels[i]).group(0)
    kids = [i for i, f in enumerate(frames) if f["d"] == z["d"] + 1 and z["x"] <= f["x"] < z["x"] + z["w"]]
    words = sorted({word(target), word(max(kids, key=lambda i: frames[i]["w"])) if kids else ""} - {""})
    regex = "^(%s)[^A-Za-z_]" % "|".join(re.escape(w) for w in words)
    src = open(svg, encoding="utf-8").read()
    driver = DRIVER.replace("TARGET", str(target)).replace("REGEX", regex.replace("\\", "\\\\"))
    page = os.path.join(work, "interact.driven.svg")
    with open(page, "w", encoding="utf-8") as f:
        f.write(src.replace("</svg>", driver + "</svg>"))
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                        "file://" + os.path.abspath(page)], capture_output=True, timeout=120)
    m = re.search(rb'<text id="tv-test-result">(.*?)</text>', p.stdout, re.S)
    if not check(m is not None, "chromium: no result in the DOM (exit %d): %s"
                 % (p.returncode, p.stderr.decode("utf-8", "replace")[-800:])):
        return 1
    raw = m.group(1).decode("utf-8")
    steps = json.loads(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
                       .replace("&apos;", "'").replace("&amp;", "&"))
    n = len(frames)
    for name in steps:
        check(len(steps[name]["frames"]) == n, "%s: %d frames in the DOM, %d in the file"
              % (name, len(steps[name]["frames"]), n))

    def near(a, b):
        return abs(a - b) < 0.02

    init = steps["initial"]
    for i, (shown, x, w, fill, txt) in enumerate(init["frames"]):
        check(shown and near(x, frames[i]["px"]) and near(w, frames[i]["pw"]),
              "initial: frame %d at %g+%g, file says %g+%g" % (i, x, w, frames[i]["px"], frames[i]["pw"]))
    check(init["unzoom"] == "button hide", "initial: 'Reset zoom' visible")
    # zoomed: the target fills the plot, ancestors stretch, others hide
    zs = steps["zoomed"]
    bad = 0
    for i, (shown, x, w, fill, txt) in enumerate(zs["frames"]):
        f = frames[i]
        if f["d"] < z["d"]:
            want = f["x"] <= z["x"] and f["x"] + f["w"] >= z["x"] + z["w"]
            geo = (XPAD, plot)
        else:
            want = f["x"] >= z["x"] and f["x"] + f["w"] <= z["x"] + z["w"]
            geo = (XPAD + (f["x"] - z["x"]) / z["w"] * plot, f["w"] / z["w"] * plot)
        ok = shown == want and (not want or (near(x, geo[0]) and near(w, geo[1])))
        if not ok:
            bad += 1
            if bad <= 5:
                fail("zoomed: frame %d (%s, depth %d): shown %s at %g+%g, expected %s at %g+%g"
                     % (i, labels[i][:60], f["d"], shown, x, w, want, geo[0], geo[1]))
    shown = sum(1 for s in zs["frames"] if s[0])
    check(near(zs["frames"][target][2], plot), "zoomed: target width %g, plot %g" % (zs["frames"][target][2], plot))
    check(zs["unzoom"] == "button", "zoomed: 'Reset zoom' not shown")
    # searched: matching labels highlighted; matched share of the root total
    ss = steps["searched"]
    rx = re.compile(regex)
    hits = [i for i in range(n) if rx.search(labels[i])]
    for i in range(n):
        check((ss["frames"][i][3] == "rgb(230,0,230)") == (i in hits),
              "searched: frame %d (%s) highlight %s" % (i, labels[i][:60], ss["frames"][i][3]))
    covered, end = 0, -1
    for i in sorted(hits, key=lambda i: (frames[i]["x"], -frames[i]["w"])):
        if frames[i]["x"] >= end:
            covered += frames[i]["w"]
            end = frames[i]["x"] + frames[i]["w"]
    pct = 100 * covered / total
    want = "Matched: %.2f%% (%d frames)" % (pct, len(hits))
    check(ss["matched"] == want or pct < 0.01, "searched: %r, expected %r" % (ss["matched"], want))
    check(ss["search"] == "Reset search", "searched: button says %r" % ss["search"])
    check(steps["hover"]["details"] == frames[target]["title"],
          "hover: details %r, expected %r" % (steps["hover"]["details"], frames[target]["title"]))
    # reset zoom: back to the initial geometry; the search stays
    us = steps["unzoomed"]
    for i in range(n):
        a, b = us["frames"][i], init["frames"][i]
        check(a[0] and near(a[1], b[1]) and near(a[2], b[2]) and a[4] == b[4],
              "unzoomed: frame %d differs from the initial state: %r vs %r" % (i, a, b))
    check(us["unzoom"] == "button hide", "unzoomed: 'Reset zoom' still visible")
    check(us["matched"] == ss["matched"], "unzoomed: search lost")
    cs = steps["cleared"]
    check(all(cs["frames"][i][3] == init["frames"][i][3] for i in range(n)), "cleared: highlights remain")
    check(cs["matched"].strip() == "" and cs["search"] == "Search", "cleared: %r / %r"
          % (cs["matched"], cs["search"]))
    print("interaction: %d frames; zoomed into %r (depth %d): %d shown; search %r: %d frames, %s"
          % (n, labels[target][:60], z["d"], shown, regex, len(hits), ss["matched"]))
    return 0


def main(argv):
    interact = argv[1:2] == ["--interact"]
    args = argv[2:] if interact else argv[1:]
    if len(args) != 3:
        print(__doc__)
        return 2
    tv, trace, work = args
    if interact:
        rc = check_interaction(tv, trace, work)
        if rc == 77:
            return 77
    else:
        check_cli(tv, trace, work)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
